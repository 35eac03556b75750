import type { MovementKind, WalletStatementWire } from "../../shared/issuer-api";
import { big, int, optionalText, type Sql, text } from "../db/types";
import { account, balance } from "../ledger";
import { readTab, TAB_COLUMNS } from "./tabs";

const RECENT_TABS = 200;
const RECENT_MOVEMENTS = 100;
const KINDS: readonly MovementKind[] = ["topup", "reserve", "release", "settle"];

async function currencies(sql: Sql, wallet: string): Promise<string[]> {
  const rows = await sql.all(
    "SELECT DISTINCT currency FROM transfers WHERE wallet = ? ORDER BY currency",
    [wallet],
  );
  return rows.map((row) => text(row.currency));
}

async function balances(sql: Sql, wallet: string): Promise<WalletStatementWire["balances"]> {
  const out: WalletStatementWire["balances"] = [];
  for (const currency of await currencies(sql, wallet)) {
    const [spent] = await sql.all(
      "SELECT COALESCE(SUM(settled), 0) AS spent FROM tabs WHERE wallet = ? AND currency = ?",
      [wallet, currency],
    );
    const [test] = await sql.all(
      "SELECT COUNT(*) AS n FROM transfers WHERE wallet = ? AND currency = ? AND funding = 'test'",
      [wallet, currency],
    );
    out.push({
      currency,
      available: (await balance(sql, account.available(wallet, currency))).toString(),
      reserved: (await balance(sql, account.reserved(wallet, currency))).toString(),
      spent: big(spent?.spent).toString(),
      test_money: big(test?.n) > 0n,
    });
  }
  return out;
}

/** What a wallet may know about its own money (docs/protocol.md §3, "Wallet statement"). */
export async function walletStatement(sql: Sql, wallet: string): Promise<WalletStatementWire> {
  const tabRows = await sql.all(
    `SELECT ${TAB_COLUMNS} FROM tabs WHERE wallet = ? ORDER BY created_at DESC, id LIMIT ?`,
    [wallet, RECENT_TABS],
  );
  const moves = await sql.all(
    "SELECT kind, amount, currency, tab, at FROM transfers WHERE wallet = ? ORDER BY seq DESC LIMIT ?",
    [wallet, RECENT_MOVEMENTS],
  );
  return {
    wallet,
    balances: await balances(sql, wallet),
    tabs: tabRows.map(readTab).map((tab) => ({
      tab: tab.id,
      merchant: tab.merchant,
      currency: tab.currency,
      limit: tab.limit.toString(),
      settled: tab.settled.toString(),
      status: tab.status,
      expires_at: tab.expiresAt,
    })),
    movements: moves.flatMap((row) => {
      const kind = KINDS.find((k) => k === row.kind);
      if (!kind) return [];
      const tab = optionalText(row.tab);
      return [
        {
          at: int(row.at),
          kind,
          amount: big(row.amount).toString(),
          currency: text(row.currency),
          ...(tab === undefined ? {} : { tab }),
        },
      ];
    }),
  };
}
