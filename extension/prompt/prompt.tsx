import { useEffect, useState } from "preact/hooks";
import { formatMajor, parseMajor } from "../../shared/money";
import { errorText, send } from "../shared/client";
import { money } from "../shared/format";
import type { ApprovalView } from "../shared/messages";

// Extension-page messages count as activity, so pinging keeps the worker (and the payment
// waiting on this window) alive while the reader reads.
const KEEP_ALIVE_MS = 20_000;

/** The approval window: drawn by the extension from what the issuer and merchant said. */
export function Prompt() {
  const id = new URLSearchParams(location.search).get("id") ?? "";
  const [view, setView] = useState<ApprovalView>();
  const [always, setAlways] = useState(false);
  const [upTo, setUpTo] = useState("");
  const [error, setError] = useState("");

  useEffect(() => {
    const load = () =>
      send({ type: "approval.get", id }).then(setView, (e: unknown) => setError(errorText(e)));
    void load();
    const timer = setInterval(load, KEEP_ALIVE_MS);
    return () => clearInterval(timer);
  }, [id]);

  useEffect(() => {
    if (view && upTo === "") setUpTo(formatMajor(BigInt(view.price), view.currency));
  }, [view, upTo]);

  const decide = async (decision: "approve" | "decline") => {
    setError("");
    try {
      const allowUpTo =
        decision === "approve" && always && view
          ? parseMajor(upTo.trim(), view.currency).toString()
          : undefined;
      const request = { type: "approval.decide" as const, id, decision };
      setView(await send(allowUpTo ? { ...request, allowUpTo } : request));
      window.close();
    } catch (e: unknown) {
      setError(errorText(e));
    }
  };

  if (!view) return error ? <p role="alert">{error}</p> : <p>Loading…</p>;
  const waiting = view.status === "pending";
  return (
    <>
      <h1>Pay {view.name}?</h1>
      <dl data-testid="approval-details">
        <dt>Merchant</dt>
        <dd data-testid="approval-merchant">{view.name}</dd>
        <dt>Site</dt>
        <dd data-testid="approval-origin">{view.origin}</dd>
        <dt>Item</dt>
        <dd data-testid="approval-item">{view.title}</dd>
        <dt>Price</dt>
        <dd data-testid="approval-price">{money(view.price, view.currency)}</dd>
        {view.available !== undefined && (
          <>
            <dt>Your balance</dt>
            <dd data-testid="approval-balance">{money(view.available, view.currency)}</dd>
          </>
        )}
      </dl>
      {!waiting && <p role="status">This request is {view.status}.</p>}
      <label>
        <input
          type="checkbox"
          data-testid="approval-always"
          checked={always}
          style={{ minWidth: 0 }}
          onChange={(e) => setAlways(e.currentTarget.checked)}
        />{" "}
        Always allow this site up to
      </label>
      <input
        aria-label={`Always allow up to, in ${view.currency}`}
        data-testid="approval-up-to"
        inputMode="decimal"
        value={upTo}
        disabled={!always}
        onInput={(e) => setUpTo(e.currentTarget.value)}
      />{" "}
      {view.currency} per item
      <div>
        <button
          type="button"
          data-testid="approve"
          disabled={!waiting}
          onClick={() => decide("approve")}
        >
          Approve
        </button>
        <button
          type="button"
          class="secondary"
          data-testid="decline"
          disabled={!waiting}
          onClick={() => decide("decline")}
        >
          Decline
        </button>
      </div>
      {error && <p role="alert">{error}</p>}
    </>
  );
}
