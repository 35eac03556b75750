import type { WalletStatementWire } from "../../shared/issuer-api";
import { openPostgres } from "../db/postgres";
import { openSqlite } from "../db/sqlite";
import { big, type Database, text } from "../db/types";
import { account, audit, balance, type LedgerAudit } from "../ledger";
import { type ClearingInput, clearBatch, type StatementBody } from "./clearing";
import {
  addMerchant,
  type MerchantEntry,
  type MerchantKey,
  merchantById,
  merchantKeys,
} from "./merchants";
import { walletStatement } from "./statement";
import * as tabs from "./tabs";
import * as wallets from "./wallets";

export type { ClearingInput, PreparedLine, StatementBody } from "./clearing";
export type { MerchantEntry, MerchantKey } from "./merchants";
export type { NewTab, TabRecord } from "./tabs";
export type { WalletKey, WalletRecord } from "./wallets";

export type StoreConfig = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

export interface StoreAudit extends LedgerAudit {
  /**
   * Wallet reserved accounts that differ from Σ (limit − settled) of the wallet's unclosed tabs.
   */
  reservedMismatch: string[];
}

/**
 * Everything the issuer keeps, behind one interface with one implementation over two databases
 * (SQLite and PostgreSQL speak the same SQL here). Each method is one transaction.
 */
export interface IssuerStore {
  readonly kind: "sqlite" | "postgres";
  useNonce(jti: string, expiresAt: number): Promise<boolean>;
  createWallet(id: string, key: wallets.WalletKey, at: number): Promise<void>;
  wallet(id: string): Promise<wallets.WalletRecord | undefined>;
  walletSecret(id: string): Promise<{ salt: string; hash: string } | undefined>;
  replaceWalletKey(id: string, checkedHash: string, key: wallets.WalletKey): Promise<void>;
  addMerchant(merchant: MerchantEntry, keys: MerchantKey[], at: number): Promise<void>;
  merchant(id: string): Promise<MerchantEntry | undefined>;
  merchantKeys(id: string): Promise<MerchantKey[]>;
  /** Credits test money; answers the new available balance. */
  topUp(wallet: string, amount: bigint, currency: string, id: string, at: number): Promise<bigint>;
  openTab(tab: tabs.NewTab): Promise<void>;
  /** Raises the limit and signs the new certificate in the same transaction. */
  raiseLimit(
    wallet: string,
    tab: string,
    limit: bigint,
    at: number,
    sign: (tab: tabs.TabRecord) => Promise<string>,
  ): Promise<string>;
  closeTab(wallet: string, tab: string, at: number): Promise<void>;
  tab(id: string): Promise<tabs.TabRecord | undefined>;
  clearBatch(input: ClearingInput, sign: (body: StatementBody) => Promise<string>): Promise<string>;
  releaseExpired(now: number, grace: number): Promise<number>;
  pruneNonces(now: number): Promise<number>;
  walletStatement(wallet: string): Promise<WalletStatementWire>;
  balance(accountId: string): Promise<bigint>;
  audit(): Promise<StoreAudit>;
  close(): Promise<void>;
}

async function reservedMismatch(db: Database): Promise<string[]> {
  return db.transaction(async (sql) => {
    const rows = await sql.all(
      "SELECT wallet, currency, COALESCE(SUM(lim - settled), 0) AS open FROM tabs WHERE status <> 'closed' GROUP BY wallet, currency",
    );
    const expected = new Map(
      rows.map((r) => [account.reserved(text(r.wallet), text(r.currency)), big(r.open)]),
    );
    const reserved = await sql.all(
      "SELECT id, balance FROM accounts WHERE id LIKE 'wallet:%:reserved:%'",
    );
    return reserved
      .filter((r) => big(r.balance) !== (expected.get(text(r.id)) ?? 0n))
      .map((r) => text(r.id));
  });
}

export function storeOver(db: Database): IssuerStore {
  const tx = db.transaction.bind(db);
  return {
    kind: db.kind,
    useNonce: (jti, expiresAt) => tx((sql) => wallets.useNonce(sql, jti, expiresAt)),
    createWallet: (id, key, at) => tx((sql) => wallets.createWallet(sql, id, key, at)),
    wallet: (id) => tx((sql) => wallets.walletById(sql, id)),
    walletSecret: (id) => tx((sql) => wallets.walletSecret(sql, id)),
    replaceWalletKey: (id, hash, key) => tx((sql) => wallets.replaceWalletKey(sql, id, hash, key)),
    addMerchant: (merchant, keys, at) => tx((sql) => addMerchant(sql, merchant, keys, at)),
    merchant: (id) => tx((sql) => merchantById(sql, id)),
    merchantKeys: (id) => tx((sql) => merchantKeys(sql, id)),
    topUp: (wallet, amount, currency, id, at) =>
      tx(async (sql) => {
        await tabs.topUp(sql, wallet, amount, currency, id, at);
        return balance(sql, account.available(wallet, currency));
      }),
    openTab: (tab) => tx((sql) => tabs.openTab(sql, tab)),
    raiseLimit: (wallet, tab, limit, at, sign) =>
      tx(async (sql) => sign(await tabs.raiseLimit(sql, wallet, tab, limit, at))),
    closeTab: (wallet, tab, at) => tx((sql) => tabs.closeTab(sql, wallet, tab, at)),
    tab: (id) => tx((sql) => tabs.lockTab(sql, id)),
    clearBatch: (input, sign) => tx((sql) => clearBatch(sql, input, sign)),
    releaseExpired: (now, grace) => tx((sql) => tabs.releaseExpired(sql, now, grace)),
    pruneNonces: (now) => tx((sql) => wallets.pruneNonces(sql, now)),
    walletStatement: (wallet) => tx((sql) => walletStatement(sql, wallet)),
    balance: (id) => tx((sql) => balance(sql, id)),
    audit: async () => ({ ...(await tx(audit)), reservedMismatch: await reservedMismatch(db) }),
    close: () => db.close(),
  };
}

export async function openStore(config: StoreConfig): Promise<IssuerStore> {
  const db = config.kind === "sqlite" ? openSqlite(config.path) : await openPostgres(config.url);
  return storeOver(db);
}
