import { fail } from "../../shared/errors";
import type { TabStatus } from "../../shared/issuer-api";
import { PublicJwk } from "../../shared/schemas";
import { big, int, type Row, type Sql, text } from "../db/types";
import { account, post } from "../ledger";
import { chunks, values } from "./postings";

export interface NewTab {
  id: string;
  wallet: string;
  merchant: string;
  currency: string;
  tabKid: string;
  tabJwk: PublicJwk;
  limit: bigint;
  at: number;
  expiresAt: number;
}

export interface TabRecord extends Omit<NewTab, "at"> {
  settled: bigint;
  status: TabStatus;
  createdAt: number;
  closedAt: number | undefined;
}

const STATUSES: readonly TabStatus[] = ["open", "closing", "closed"];
export const TAB_COLUMNS =
  "id, wallet, merchant, currency, tab_kid, tab_jwk, lim, settled, status, created_at, expires_at, closed_at";

export function readTab(row: Row): TabRecord {
  const status = STATUSES.find((s) => s === row.status);
  if (!status) throw new Error("database holds a tab with an unknown status");
  return {
    id: text(row.id),
    wallet: text(row.wallet),
    merchant: text(row.merchant),
    currency: text(row.currency),
    tabKid: text(row.tab_kid),
    tabJwk: PublicJwk.parse(JSON.parse(text(row.tab_jwk))),
    limit: big(row.lim),
    settled: big(row.settled),
    status,
    createdAt: int(row.created_at),
    expiresAt: int(row.expires_at),
    closedAt:
      row.closed_at === null || row.closed_at === undefined ? undefined : int(row.closed_at),
  };
}

/** Reads a tab and, in PostgreSQL, locks its row until the transaction ends. */
export async function lockTab(sql: Sql, id: string): Promise<TabRecord | undefined> {
  const [row] = await sql.all(`SELECT ${TAB_COLUMNS} FROM tabs WHERE id = ?${sql.forUpdate}`, [id]);
  return row ? readTab(row) : undefined;
}

/** Reads and locks many tabs, in id order so two batches never wait on each other in a cycle. */
export async function lockTabs(sql: Sql, ids: string[]): Promise<Map<string, TabRecord>> {
  const tabs = new Map<string, TabRecord>();
  for (const chunk of chunks([...new Set(ids)].sort())) {
    const rows = await sql.all(
      `SELECT ${TAB_COLUMNS} FROM tabs WHERE id IN (${values(chunk.length, "?")}) ORDER BY id${sql.forUpdate}`,
      chunk,
    );
    for (const row of rows) {
      const tab = readTab(row);
      tabs.set(tab.id, tab);
    }
  }
  return tabs;
}

async function lockWalletTab(sql: Sql, wallet: string, id: string): Promise<TabRecord> {
  const tab = await lockTab(sql, id);
  if (!tab || tab.wallet !== wallet) fail("tab_unknown", "this wallet has no such tab");
  return tab;
}

export async function topUp(
  sql: Sql,
  wallet: string,
  amount: bigint,
  currency: string,
  id: string,
  at: number,
): Promise<void> {
  await post(sql, {
    kind: "topup",
    id,
    currency,
    amount,
    from: account.testFunding(currency),
    to: account.available(wallet, currency),
    wallet,
    funding: "test",
    at,
  });
}

export async function openTab(sql: Sql, tab: NewTab): Promise<void> {
  await sql.run(
    "INSERT INTO tabs (id, wallet, merchant, currency, tab_kid, tab_jwk, lim, settled, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'open', ?, ?)",
    [
      tab.id,
      tab.wallet,
      tab.merchant,
      tab.currency,
      tab.tabKid,
      JSON.stringify(tab.tabJwk),
      tab.limit,
      tab.at,
      tab.expiresAt,
    ],
  );
  await post(sql, {
    kind: "reserve",
    currency: tab.currency,
    amount: tab.limit,
    from: account.available(tab.wallet, tab.currency),
    to: account.reserved(tab.wallet, tab.currency),
    wallet: tab.wallet,
    tab: tab.id,
    at: tab.at,
  });
}

/** Raises an open tab's limit, reserving only the difference; answers the updated tab. */
export async function raiseLimit(
  sql: Sql,
  wallet: string,
  id: string,
  limit: bigint,
  at: number,
): Promise<TabRecord> {
  const tab = await lockWalletTab(sql, wallet, id);
  if (tab.status !== "open") fail("tab_closed", "the tab is closed");
  if (tab.expiresAt <= at) fail("tab_closed", "the tab has expired");
  if (limit <= tab.limit)
    fail("tab_limit_lower", "the new limit must be higher than the current one");

  await sql.run("UPDATE tabs SET lim = ? WHERE id = ?", [limit, id]);
  await post(sql, {
    kind: "reserve",
    currency: tab.currency,
    amount: limit - tab.limit,
    from: account.available(wallet, tab.currency),
    to: account.reserved(wallet, tab.currency),
    wallet,
    tab: id,
    at,
  });
  return { ...tab, limit };
}

/** Marks a tab closing; closing twice is fine, closing a released tab is not. */
export async function closeTab(sql: Sql, wallet: string, id: string, at: number): Promise<void> {
  const tab = await lockWalletTab(sql, wallet, id);
  if (tab.status === "closed") fail("tab_closed", "the tab is already closed");
  if (tab.status === "closing") return;
  await sql.run("UPDATE tabs SET status = 'closing', closed_at = ? WHERE id = ?", [at, id]);
}

/** Returns a tab's unspent reservation to its wallet and closes it for good. */
export async function releaseTab(sql: Sql, tab: TabRecord, at: number): Promise<void> {
  await sql.run(
    "UPDATE tabs SET status = 'closed', closed_at = COALESCE(closed_at, ?) WHERE id = ?",
    [at, tab.id],
  );
  const rest = tab.limit - tab.settled;
  if (rest === 0n) return;
  await post(sql, {
    kind: "release",
    currency: tab.currency,
    amount: rest,
    from: account.reserved(tab.wallet, tab.currency),
    to: account.available(tab.wallet, tab.currency),
    wallet: tab.wallet,
    tab: tab.id,
    at,
  });
}

/** Releases every tab past expiry + grace that is not closed yet; answers how many. */
export async function releaseExpired(sql: Sql, now: number, grace: number): Promise<number> {
  const rows = await sql.all(
    `SELECT ${TAB_COLUMNS} FROM tabs WHERE status <> 'closed' AND expires_at + ? < ? ORDER BY id${sql.forUpdate}`,
    [grace, now],
  );
  for (const row of rows) await releaseTab(sql, readTab(row), now);
  return rows.length;
}

/** Releases the tabs of a merchant and currency that were closing when its batch cleared. */
export async function releaseClosing(
  sql: Sql,
  merchant: string,
  currency: string,
  at: number,
): Promise<void> {
  const rows = await sql.all(
    `SELECT ${TAB_COLUMNS} FROM tabs WHERE merchant = ? AND currency = ? AND status = 'closing' ORDER BY id${sql.forUpdate}`,
    [merchant, currency],
  );
  for (const row of rows) await releaseTab(sql, readTab(row), at);
}
