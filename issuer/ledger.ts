import { fail } from "../shared/errors";
import { randomId } from "../shared/ids";
import { big, type Sql, text } from "./db/types";

/**
 * The double-entry ledger. Every movement is one transfer of a positive amount from one
 * account to another, written as two entries that sum to zero, in the caller's transaction.
 * `accounts.balance` is a running total kept beside the entries so a debit can be a
 * conditional update (the row lock that decides two racing tab opens); `audit` re-derives it.
 */

export const account = {
  available: (wallet: string, cur: string) => `wallet:${wallet}:available:${cur}`,
  reserved: (wallet: string, cur: string) => `wallet:${wallet}:reserved:${cur}`,
  payable: (merchant: string, cur: string) => `merchant:${merchant}:payable:${cur}`,
  paidOut: (merchant: string, cur: string) => `merchant:${merchant}:paid:${cur}`,
  /** Test money comes from here; the name says so in every ledger export. */
  testFunding: (cur: string) => `funding:test:${cur}`,
};

export type TransferKind = "topup" | "reserve" | "release" | "settle" | "payout";

export interface Transfer {
  kind: TransferKind;
  currency: string;
  amount: bigint;
  from: string;
  to: string;
  at: number;
  id?: string;
  wallet?: string;
  merchant?: string;
  tab?: string;
  /** The funding provider for a top-up ("test" for test money). */
  funding?: string;
}

const isFunding = (id: string) => id.startsWith("funding:");
const isAvailable = (id: string) => id.startsWith("wallet:") && id.includes(":available:");

async function credit(sql: Sql, id: string, amount: bigint): Promise<void> {
  await sql.run(
    "INSERT INTO accounts (id, balance) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + excluded.balance",
    [id, amount],
  );
}

// A debit never takes an account below zero: the update only matches while the money is there,
// so of two transactions racing for the last funds the second finds nothing to update.
async function debit(sql: Sql, id: string, amount: bigint): Promise<void> {
  if (isFunding(id)) return credit(sql, id, -amount);
  const changed = await sql.run(
    "UPDATE accounts SET balance = balance - ? WHERE id = ? AND balance >= ?",
    [amount, id, amount],
  );
  if (changed === 1) return;
  if (isAvailable(id)) fail("insufficient_funds", "the available balance is too low");
  throw new Error(`ledger invariant broken: ${id} cannot cover a ${amount} debit`);
}

export async function post(sql: Sql, transfer: Transfer): Promise<string> {
  if (transfer.amount <= 0n) throw new Error("a transfer moves a positive amount");
  const id = transfer.id ?? randomId("trf");
  await debit(sql, transfer.from, transfer.amount);
  await credit(sql, transfer.to, transfer.amount);
  await sql.run(
    "INSERT INTO transfers (id, kind, wallet, merchant, tab, currency, amount, funding, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [
      id,
      transfer.kind,
      transfer.wallet ?? null,
      transfer.merchant ?? null,
      transfer.tab ?? null,
      transfer.currency,
      transfer.amount,
      transfer.funding ?? null,
      transfer.at,
    ],
  );
  await sql.run("INSERT INTO entries (transfer, account, amount) VALUES (?, ?, ?), (?, ?, ?)", [
    id,
    transfer.from,
    -transfer.amount,
    id,
    transfer.to,
    transfer.amount,
  ]);
  return id;
}

export async function balance(sql: Sql, id: string, lock = false): Promise<bigint> {
  const rows = await sql.all(
    `SELECT balance FROM accounts WHERE id = ?${lock ? sql.forUpdate : ""}`,
    [id],
  );
  return rows[0] ? big(rows[0].balance) : 0n;
}

export interface LedgerAudit {
  /** Σ of every entry ever written; zero unless the ledger is broken. */
  total: bigint;
  /** Accounts whose running balance differs from the sum of their entries. */
  mismatched: string[];
}

export async function audit(sql: Sql): Promise<LedgerAudit> {
  const [sum] = await sql.all("SELECT COALESCE(SUM(amount), 0) AS total FROM entries");
  const derived = await sql.all(
    "SELECT a.id AS id, a.balance AS balance, COALESCE(SUM(e.amount), 0) AS derived FROM accounts a LEFT JOIN entries e ON e.account = a.id GROUP BY a.id, a.balance",
  );
  const mismatched = derived
    .filter((row) => big(row.balance) !== big(row.derived))
    .map((row) => text(row.id));
  return { total: big(sum?.total), mismatched };
}
