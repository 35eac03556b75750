import type { AcceptedReceipt, BatchStatus, StatementLineRecord, StoredBatch } from "./types";

/** The schema and row mapping both stores share; SQLite reads BIGINT as INTEGER affinity. */

/**
 * A batch line covers a tab's receipts after its previous line, so the tab row records where the
 * last claimed line ended (`batched_seq`, `batched_cum`): a receipt is unbatched exactly when its
 * seq is above its tab's `batched_seq`, and no receipt row is written again at settlement.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS tabs (
  tab TEXT PRIMARY KEY,
  currency TEXT NOT NULL,
  lim BIGINT NOT NULL,
  certificate TEXT NOT NULL,
  seq BIGINT NOT NULL,
  cum BIGINT NOT NULL,
  batched_seq BIGINT NOT NULL DEFAULT 0,
  batched_cum BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS receipts (
  tab TEXT NOT NULL,
  seq BIGINT NOT NULL,
  amt BIGINT NOT NULL,
  cum BIGINT NOT NULL,
  offer TEXT NOT NULL,
  resource TEXT NOT NULL,
  currency TEXT NOT NULL,
  payload_hash TEXT NOT NULL,
  token TEXT NOT NULL,
  grant_token TEXT NOT NULL,
  accepted_at BIGINT NOT NULL,
  PRIMARY KEY (tab, seq)
);
CREATE TABLE IF NOT EXISTS batches (
  bid TEXT PRIMARY KEY,
  currency TEXT NOT NULL,
  win TEXT NOT NULL,
  window_end BIGINT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_error TEXT,
  statement TEXT,
  gross BIGINT,
  carry_in BIGINT,
  payout BIGINT,
  carry_out BIGINT,
  settled_at BIGINT
);
CREATE TABLE IF NOT EXISTS batch_lines (
  bid TEXT NOT NULL,
  idx INTEGER NOT NULL,
  tab TEXT NOT NULL,
  seq BIGINT NOT NULL,
  cum BIGINT NOT NULL,
  accepted BIGINT NOT NULL,
  certificate TEXT NOT NULL,
  receipt TEXT NOT NULL,
  paid BIGINT,
  status TEXT,
  code TEXT,
  PRIMARY KEY (bid, idx)
);
`;

/** SQLite answers bigint (safe integers on), PostgreSQL a string for BIGINT and SUM. */
type DbInt = bigint | string | number;

/** A line as claimed: which receipt it ends at and what it covers, without the tokens. */
export interface ClaimRow {
  tab: string;
  seq: DbInt;
  cum: DbInt;
  accepted: DbInt;
}

export interface LineRow extends ClaimRow {
  certificate: string;
  receipt: string;
}

export interface StoredLineRow extends LineRow {
  bid: string;
  paid: DbInt | null;
  status: string | null;
  code: string | null;
}

export interface BatchRow {
  bid: string;
  currency: string;
  win: string;
  status: string;
  created_at: DbInt;
  last_error: string | null;
  gross: DbInt | null;
  carry_in: DbInt | null;
  payout: DbInt | null;
  carry_out: DbInt | null;
  settled_at: DbInt | null;
}

export function toLine(row: LineRow) {
  return {
    tab: row.tab,
    seq: Number(row.seq),
    cum: BigInt(row.cum),
    accepted: BigInt(row.accepted),
    certificate: row.certificate,
    receipt: row.receipt,
  };
}

export interface ClaimedLine {
  tab: string;
  seq: number;
  cum: bigint;
  accepted: bigint;
}

/** Batch lines go in tab order (protocol §2.5), compared by code unit, not by locale. */
export function sortedLines(rows: ClaimRow[]): ClaimedLine[] {
  return rows
    .map((row) => ({
      tab: row.tab,
      seq: Number(row.seq),
      cum: BigInt(row.cum),
      accepted: BigInt(row.accepted),
    }))
    .sort((a, b) => (a.tab < b.tab ? -1 : a.tab > b.tab ? 1 : 0));
}

function lineResult(row: StoredLineRow): { result?: StatementLineRecord } {
  if (row.paid === null || (row.status !== "accepted" && row.status !== "refused")) return {};
  const result: StatementLineRecord = { paid: BigInt(row.paid), status: row.status };
  return { result: row.code === null ? result : { ...result, code: row.code } };
}

function statementOf(row: BatchRow) {
  const { gross, carry_in, payout, carry_out, settled_at } = row;
  if (gross === null || carry_in === null || payout === null || carry_out === null) return {};
  if (settled_at === null) return {};
  const statement = {
    gross: BigInt(gross),
    carryIn: BigInt(carry_in),
    payout: BigInt(payout),
    carryOut: BigInt(carry_out),
    settledAt: Number(settled_at),
  };
  return { statement };
}

export function toStoredBatches(batches: BatchRow[], lines: StoredLineRow[]): StoredBatch[] {
  const byBid = new Map<string, StoredBatch["lines"]>();
  for (const row of lines) {
    const list = byBid.get(row.bid) ?? [];
    list.push({ ...toLine(row), ...lineResult(row) });
    byBid.set(row.bid, list);
  }
  return batches.map((row) => ({
    bid: row.bid,
    currency: row.currency,
    win: row.win,
    status: (row.status === "settled" ? "settled" : "pending") satisfies BatchStatus,
    createdAt: Number(row.created_at),
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    ...statementOf(row),
    lines: byBid.get(row.bid) ?? [],
  }));
}

export const UPSERT_TAB = `INSERT INTO tabs (tab, currency, lim, certificate, seq, cum) VALUES (?, ?, ?, ?, 0, 0)
  ON CONFLICT (tab) DO UPDATE SET lim = excluded.lim, certificate = excluded.certificate
  WHERE excluded.lim > tabs.lim`;

export const INSERT_RECEIPT = `INSERT INTO receipts
  (tab, seq, amt, cum, offer, resource, currency, payload_hash, token, grant_token, accepted_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The line keeps its tokens as claimed, so a resubmission sends exactly the same lines. */
export const INSERT_LINE = `INSERT INTO batch_lines
  (bid, idx, tab, seq, cum, accepted, certificate, receipt)
  SELECT ?, ?, t.tab, r.seq, r.cum, ?, t.certificate, r.token
  FROM tabs t JOIN receipts r ON r.tab = t.tab WHERE t.tab = ? AND r.seq = ?`;

/**
 * Per tab with unbatched receipts: the newest one accepted before the window's end (searched
 * from the newest down, so usually one row is read), and what the line covers since the tab's
 * previous line (cum is the running Σ amt, so the difference is the Σ of the covered receipts).
 * Parameters: end, currency.
 */
export const NEWEST_UNBATCHED = `SELECT t.tab, r.seq, r.cum, r.cum - t.batched_cum AS accepted
  FROM tabs t JOIN receipts r ON r.tab = t.tab AND r.seq = (
    SELECT x.seq FROM receipts x
    WHERE x.tab = t.tab AND x.seq > t.batched_seq AND x.accepted_at < ?
    ORDER BY x.seq DESC LIMIT 1)
  WHERE t.currency = ? AND t.seq > t.batched_seq`;

/**
 * A receipt's acceptance time follows its seq (a tab moves to seq n + 1 only after n is
 * committed), so the oldest unbatched receipt is among each tab's first unbatched one.
 */
export const OLDEST_UNBATCHED = `SELECT MIN(r.accepted_at) AS t
  FROM tabs t JOIN receipts r ON r.tab = t.tab AND r.seq = t.batched_seq + 1
  WHERE t.currency = ? AND t.seq > t.batched_seq`;

export const SETTLE_BATCH = `UPDATE batches SET status = 'settled', statement = ?, gross = ?, carry_in = ?,
  payout = ?, carry_out = ?, settled_at = ?, last_error = NULL
  WHERE bid = ? AND status = 'pending'`;

export const INSERT_BATCH = `INSERT INTO batches (bid, currency, win, window_end, status, created_at)
  VALUES (?, ?, ?, ?, 'pending', ?)`;

export const MARK_BATCHED = "UPDATE tabs SET batched_seq = ?, batched_cum = ? WHERE tab = ?";

export const SETTLE_LINE =
  "UPDATE batch_lines SET paid = ?, status = ?, code = ? WHERE bid = ? AND idx = ?";

/**
 * The parameters of UPSERT_TAB (none when the receipt carries no certificate), ADVANCE_TAB and
 * INSERT_RECEIPT for one accepted receipt.
 */
export function receiptParams(r: AcceptedReceipt) {
  const { certificate: c } = r;
  return {
    upsertTab: c && [r.tab, r.currency, c.limit, c.token],
    advanceTab: [r.seq, r.cum, r.tab, r.prevSeq],
    insertReceipt: [
      r.tab,
      r.seq,
      r.amt,
      r.cum,
      r.offer,
      r.resource,
      r.currency,
      r.payloadHash,
      r.token,
      r.grant,
      r.acceptedAt,
    ],
  };
}

export const ADVANCE_TAB = "UPDATE tabs SET seq = ?, cum = ? WHERE tab = ? AND seq = ?";

/** PostgreSQL numbers its parameters: `?` → `$1`, `$2`, … */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
