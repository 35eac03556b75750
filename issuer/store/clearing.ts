import { type ErrorCode, fail } from "../../shared/errors";
import { splitPayout } from "../../shared/money";
import { checkSettlementLine } from "../../shared/rules";
import type { ReceiptClaims, StatementLine } from "../../shared/schemas";
import { type Sql, text } from "../db/types";
import { account, balance, post } from "../ledger";
import { advanceSettled, postSettlements, type Settlement } from "./postings";
import { lockTabs, releaseClosing, type TabRecord } from "./tabs";

/** A batch line after its signatures were checked (outside the transaction: crypto is slow). */
export type PreparedLine =
  | { ok: true; tab: string; seq: number; cum: bigint; receipt: ReceiptClaims; tabKid: string }
  | { ok: false; tab: string; seq: number; cum: bigint; code: ErrorCode };

export interface ClearingInput {
  bid: string;
  merchant: string;
  currency: string;
  /** Hash of what the batch asks for; a resubmission must match it to get the same statement. */
  contentHash: string;
  lines: PreparedLine[];
  now: number;
  grace: number;
}

export interface StatementBody {
  lines: StatementLine[];
  gross: bigint;
  carryIn: bigint;
  payout: bigint;
  carryOut: bigint;
}

const line = (l: PreparedLine, paid: bigint, code?: ErrorCode): StatementLine => ({
  tab: l.tab,
  seq: l.seq,
  cum: l.cum.toString(),
  paid: paid.toString(),
  status: code === undefined ? "accepted" : "refused",
  ...(code === undefined ? {} : { code }),
});

/** Answers the stored statement of a batch already cleared with the same content. */
async function claimBatch(sql: Sql, input: ClearingInput): Promise<string | undefined> {
  const inserted = await sql.run(
    "INSERT INTO batches (id, merchant, currency, content_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    [input.bid, input.merchant, input.currency, input.contentHash, input.now],
  );
  if (inserted === 1) return undefined;
  const [row] = await sql.all(
    "SELECT merchant, content_hash, statement FROM batches WHERE id = ?",
    [input.bid],
  );
  const same = row && row.merchant === input.merchant && row.content_hash === input.contentHash;
  if (!same || row.statement === null) {
    fail("batch_conflict", "this batch id was already used for other lines");
  }
  return text(row.statement);
}

/** A tab as the lines before this one left it, and what it had settled when it was locked. */
interface TabState {
  tab: TabRecord;
  lockedSettled: bigint;
}

/**
 * Judges one line against its tab as the earlier lines of this batch left it: a tab named twice
 * is paid at most up to its newest cum, never twice for the same money.
 */
function judgeLine(
  input: ClearingInput,
  tabs: Map<string, TabState>,
  l: PreparedLine,
  paid: Settlement[],
): StatementLine {
  if (!l.ok) return line(l, 0n, l.code);

  const state = tabs.get(l.tab);
  if (!state) return line(l, 0n, "tab_unknown");
  const { tab } = state;

  if (tab.tabKid !== l.tabKid) return line(l, 0n, "receipt_key_mismatch");

  if (tab.status === "closed") return line(l, 0n, "tab_closed");

  const verdict = checkSettlementLine({
    merchant: input.merchant,
    currency: input.currency,
    tab,
    receipt: l.receipt,
    now: input.now,
    grace: input.grace,
  });
  if (!verdict.ok) return line(l, 0n, verdict.code);
  if (verdict.pay === 0n) return line(l, 0n);

  state.tab = { ...tab, settled: l.cum };
  paid.push({ tab, amount: verdict.pay });
  return line(l, verdict.pay);
}

/** Locks the batch's tabs, judges every line, then writes what was paid in a few statements. */
async function clearLines(sql: Sql, input: ClearingInput): Promise<StatementLine[]> {
  const locked = await lockTabs(
    sql,
    input.lines.filter((l) => l.ok).map((l) => l.tab),
  );
  const tabs = new Map<string, TabState>();
  for (const [id, tab] of locked) tabs.set(id, { tab, lockedSettled: tab.settled });

  const paid: Settlement[] = [];
  const lines = input.lines.map((l) => judgeLine(input, tabs, l, paid));

  const moves = [...tabs.values()]
    .filter((s) => s.tab.settled !== s.lockedSettled)
    .map((s) => ({ id: s.tab.id, from: s.lockedSettled, to: s.tab.settled }));
  await advanceSettled(sql, moves);
  await postSettlements(sql, paid, input.merchant, input.currency, input.now);
  return lines;
}

/**
 * Clears a whole batch in the caller's transaction: pays every good line, pays out the
 * merchant's payable balance rounded down to the minor unit (the rest is the carry, which stays
 * in the payable account), releases the merchant's closing tabs, and stores the signed statement.
 */
export async function clearBatch(
  sql: Sql,
  input: ClearingInput,
  sign: (body: StatementBody) => Promise<string>,
): Promise<string> {
  const stored = await claimBatch(sql, input);
  if (stored !== undefined) return stored;

  const payable = account.payable(input.merchant, input.currency);
  await sql.run("INSERT INTO accounts (id, balance) VALUES (?, 0) ON CONFLICT DO NOTHING", [
    payable,
  ]);
  const carryIn = await balance(sql, payable, true);

  const lines = await clearLines(sql, input);
  const gross = lines.reduce((sum, l) => sum + BigInt(l.paid), 0n);

  const { payout, remainder } = splitPayout(gross + carryIn, input.currency);
  if (payout > 0n) {
    await post(sql, {
      kind: "payout",
      currency: input.currency,
      amount: payout,
      from: payable,
      to: account.paidOut(input.merchant, input.currency),
      merchant: input.merchant,
      at: input.now,
    });
  }
  await releaseClosing(sql, input.merchant, input.currency, input.now);

  const statement = await sign({ lines, gross, carryIn, payout, carryOut: remainder });
  await sql.run("UPDATE batches SET statement = ? WHERE id = ?", [statement, input.bid]);
  return statement;
}
