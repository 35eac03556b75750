import type { StoredBatch } from "./store/types";

/**
 * What the merchant accepted against what the issuer paid, per batch and per tab (issue 4,
 * "Reconciliation"). `accepted` is the sum of the receipts a line covers; `paid` is the
 * statement's. Totals are exact bigint sums; the payout carry (sub-minor-unit remainder) is
 * shown per batch as the issuer stated it.
 */

export interface ReportLine {
  tab: string;
  seq: number;
  cum: bigint;
  accepted: bigint;
  /** Absent while the batch is pending. */
  paid?: bigint;
  status: "pending" | "accepted" | "refused";
  code?: string;
}

export interface ReportBatch {
  bid: string;
  currency: string;
  window: string;
  status: "pending" | "settled";
  lastError?: string;
  accepted: bigint;
  gross?: bigint;
  carryIn?: bigint;
  payout?: bigint;
  carryOut?: bigint;
  /** Σ accepted of the lines the issuer refused. */
  refused: bigint;
  lines: ReportLine[];
}

export interface CurrencyTotals {
  currency: string;
  accepted: bigint;
  paid: bigint;
  payout: bigint;
  /** The carry after the newest settled batch: paid but not yet paid out. */
  carry: bigint;
  refused: bigint;
  /** Accepted in batches still pending. */
  pending: bigint;
}

export interface Report {
  merchant: string;
  batches: ReportBatch[];
  totals: CurrencyTotals[];
}

function reportLine(line: StoredBatch["lines"][number]): ReportLine {
  const base = { tab: line.tab, seq: line.seq, cum: line.cum, accepted: line.accepted };
  if (!line.result) return { ...base, status: "pending" };
  const { paid, status, code } = line.result;
  return { ...base, paid, status, ...(code === undefined ? {} : { code }) };
}

const sum = (values: bigint[]): bigint => values.reduce((a, b) => a + b, 0n);

function reportBatch(batch: StoredBatch): ReportBatch {
  const lines = batch.lines.map(reportLine);
  const s = batch.statement;
  return {
    bid: batch.bid,
    currency: batch.currency,
    window: batch.win,
    status: batch.status,
    ...(batch.lastError === undefined ? {} : { lastError: batch.lastError }),
    accepted: sum(lines.map((l) => l.accepted)),
    ...(s ? { gross: s.gross, carryIn: s.carryIn, payout: s.payout, carryOut: s.carryOut } : {}),
    refused: sum(lines.filter((l) => l.status === "refused").map((l) => l.accepted)),
    lines,
  };
}

function totalsFor(currency: string, batches: ReportBatch[]): CurrencyTotals {
  const settled = batches.filter((b) => b.status === "settled");
  return {
    currency,
    accepted: sum(batches.map((b) => b.accepted)),
    paid: sum(settled.map((b) => b.gross ?? 0n)),
    payout: sum(settled.map((b) => b.payout ?? 0n)),
    carry: settled.at(-1)?.carryOut ?? 0n,
    refused: sum(batches.map((b) => b.refused)),
    pending: sum(batches.filter((b) => b.status === "pending").map((b) => b.accepted)),
  };
}

export function buildReport(merchant: string, stored: StoredBatch[]): Report {
  const batches = stored.map(reportBatch);
  const currencies = [...new Set(batches.map((b) => b.currency))].sort();
  const totals = currencies.map((c) =>
    totalsFor(
      c,
      batches.filter((b) => b.currency === c),
    ),
  );
  return { merchant, batches, totals };
}

/** Money as decimal strings, snake_case keys: the wire form of the report. */
export function reportJson(report: Report): unknown {
  return JSON.parse(
    JSON.stringify(report, (_key, value: unknown) =>
      typeof value === "bigint" ? value.toString() : value,
    ),
  );
}

const CSV_COLUMNS = [
  "record",
  "bid",
  "currency",
  "window",
  "status",
  "tab",
  "seq",
  "cum",
  "accepted",
  "paid",
  "code",
  "carry_in",
  "payout",
  "carry_out",
] as const;

function csvCell(value: string | number | bigint | undefined): string {
  const text = value === undefined ? "" : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One `batch` row (with its statement totals) followed by one `line` row per tab. */
export function reportCsv(report: Report): string {
  const rows: (string | number | bigint | undefined)[][] = [[...CSV_COLUMNS]];
  for (const b of report.batches) {
    rows.push([
      "batch",
      b.bid,
      b.currency,
      b.window,
      b.status,
      "",
      "",
      "",
      b.accepted,
      b.gross,
      b.lastError,
      b.carryIn,
      b.payout,
      b.carryOut,
    ]);
    for (const l of b.lines) {
      rows.push([
        "line",
        b.bid,
        b.currency,
        b.window,
        l.status,
        l.tab,
        l.seq,
        l.cum,
        l.accepted,
        l.paid,
        l.code,
        "",
        "",
        "",
      ]);
    }
  }
  return `${rows.map((row) => row.map(csvCell).join(",")).join("\n")}\n`;
}
