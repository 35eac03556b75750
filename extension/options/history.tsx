import { useEffect, useState } from "preact/hooks";
import { formatMajor } from "../../shared/money";
import { errorText, send } from "../shared/client";
import { money } from "../shared/format";
import type { UnlockView } from "../shared/messages";

const COLUMNS = [
  "date",
  "merchant",
  "origin",
  "item",
  "offer",
  "amount",
  "currency",
  "tab",
  "seq",
  "status",
];

/** One CSV line per unlock; every field quoted so a title with a comma stays one cell. */
export function toCsv(unlocks: UnlockView[]): string {
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  const lines = unlocks.map((u) =>
    [
      new Date(u.at * 1000).toISOString(),
      u.name,
      u.origin,
      u.title,
      u.offer,
      formatMajor(BigInt(u.amount), u.currency),
      u.currency,
      u.tab,
      String(u.seq),
      u.status,
    ]
      .map(quote)
      .join(","),
  );
  return [COLUMNS.join(","), ...lines].join("\r\n");
}

export function History() {
  const [unlocks, setUnlocks] = useState<UnlockView[]>();
  const [error, setError] = useState("");

  useEffect(() => {
    send({ type: "history.list" }).then(
      (reply) => setUnlocks(reply.unlocks),
      (e: unknown) => setError(errorText(e)),
    );
  }, []);

  const download = () => {
    const blob = new Blob([toCsv(unlocks ?? [])], { type: "text/csv" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "opentab-history.csv";
    link.click();
    URL.revokeObjectURL(link.href);
  };

  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      {error && <p role="alert">{error}</p>}
      <button type="button" data-testid="export-csv" onClick={download} disabled={!unlocks}>
        Export CSV
      </button>
      <table data-testid="history">
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Site</th>
            <th scope="col">Item</th>
            <th scope="col">Amount</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {(unlocks ?? []).map((u) => (
            <tr key={`${u.tab}:${u.seq}`}>
              <td>{new Date(u.at * 1000).toLocaleString()}</td>
              <td>{u.name}</td>
              <td>{u.title}</td>
              <td>{money(u.amount, u.currency)}</td>
              <td>{u.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
