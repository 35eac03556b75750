import { randomId } from "../../shared/ids";
import type { Sql, SqlValue } from "../db/types";
import { account } from "../ledger";
import type { TabRecord } from "./tabs";

/**
 * A batch's settle transfers written together: the same transfers and entries as one
 * `ledger.post` per paid line (reserved → payable, one transfer per line), but as a few
 * multi-row statements, so a 10,000-line batch is not 60,000 round trips. Each reserved account
 * is debited once by its lines' sum and only while it holds that sum, as `post` does per line.
 */

export interface Settlement {
  tab: TabRecord;
  amount: bigint;
}

/** Rows per statement: a few parameters a row stays far below either database's limit. */
const CHUNK = 500;

export function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export const values = (rows: number, row: string) =>
  Array.from({ length: rows }, () => row).join(", ");

/**
 * `CASE id WHEN ? THEN ? … END` over an `id IN (…)` list: each row is found by its primary key
 * (a join against a VALUES list makes SQLite scan the table once per listed row).
 */
function byId(ids: number): string {
  return `CASE id ${Array.from({ length: ids }, () => "WHEN ? THEN CAST(? AS BIGINT)").join(" ")} END`;
}

async function debitReserved(sql: Sql, debits: Map<string, bigint>): Promise<void> {
  for (const chunk of chunks([...debits])) {
    const amounts = chunk.flat();
    const changed = await sql.run(
      `UPDATE accounts SET balance = balance - ${byId(chunk.length)}
       WHERE id IN (${values(chunk.length, "?")}) AND balance >= ${byId(chunk.length)}`,
      [...amounts, ...chunk.map(([id]) => id), ...amounts],
    );
    if (changed !== chunk.length) {
      throw new Error("ledger invariant broken: a reserved account cannot cover its settlement");
    }
  }
}

async function insertTransfers(
  sql: Sql,
  rows: { id: string; s: Settlement }[],
  merchant: string,
  currency: string,
  at: number,
) {
  for (const chunk of chunks(rows)) {
    await sql.run(
      `INSERT INTO transfers (id, kind, wallet, merchant, tab, currency, amount, funding, at) VALUES ${values(chunk.length, "(?, 'settle', ?, ?, ?, ?, ?, NULL, ?)")}`,
      chunk.flatMap(({ id, s }): SqlValue[] => [
        id,
        s.tab.wallet,
        merchant,
        s.tab.id,
        currency,
        s.amount,
        at,
      ]),
    );
    await sql.run(
      `INSERT INTO entries (transfer, account, amount) VALUES ${values(chunk.length * 2, "(?, ?, ?)")}`,
      chunk.flatMap(({ id, s }): SqlValue[] => [
        id,
        account.reserved(s.tab.wallet, currency),
        -s.amount,
        id,
        account.payable(merchant, currency),
        s.amount,
      ]),
    );
  }
}

export async function postSettlements(
  sql: Sql,
  settlements: Settlement[],
  merchant: string,
  currency: string,
  at: number,
): Promise<void> {
  if (settlements.length === 0) return;
  const debits = new Map<string, bigint>();
  let total = 0n;
  for (const s of settlements) {
    if (s.amount <= 0n) throw new Error("a transfer moves a positive amount");
    const reserved = account.reserved(s.tab.wallet, currency);
    debits.set(reserved, (debits.get(reserved) ?? 0n) + s.amount);
    total += s.amount;
  }
  await debitReserved(sql, debits);
  await sql.run(
    "INSERT INTO accounts (id, balance) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + excluded.balance",
    [account.payable(merchant, currency), total],
  );
  const rows = settlements.map((s) => ({ id: randomId("trf"), s }));
  await insertTransfers(sql, rows, merchant, currency, at);
}

/**
 * Moves each paid tab's settled amount from the value this transaction read and locked to its
 * new one; a tab that changed in between is a broken invariant, never a second payment.
 */
export async function advanceSettled(
  sql: Sql,
  moves: { id: string; from: bigint; to: bigint }[],
): Promise<void> {
  for (const chunk of chunks(moves)) {
    const changed = await sql.run(
      `UPDATE tabs SET settled = ${byId(chunk.length)}
       WHERE id IN (${values(chunk.length, "?")}) AND settled = ${byId(chunk.length)}`,
      [
        ...chunk.flatMap((m) => [m.id, m.to]),
        ...chunk.map((m) => m.id),
        ...chunk.flatMap((m) => [m.id, m.from]),
      ],
    );
    if (changed !== chunk.length) throw new Error("a tab changed while its batch was cleared");
  }
}
