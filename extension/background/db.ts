import { Dexie, type EntityTable } from "dexie";
import type { PublicJwk } from "../../shared/schemas";

/**
 * Everything the wallet knows lives here, never only in memory: the MV3 service worker can be
 * stopped between any two awaits. Keys are non-extractable CryptoKey objects, which IndexedDB
 * stores by structured clone without ever exposing their bytes.
 */

export interface StoredKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: PublicJwk;
  kid: string;
}

export interface WalletRow {
  id: "self";
  wallet: string;
  key: StoredKey;
  recoveryConfirmed: boolean;
  createdAt: number;
}

export interface SettingsRow {
  id: "settings";
  issuer: string;
  /** The currency the caps and the default tab limit are in. */
  currency: string;
  defaultTabLimit: bigint;
  dailyCap: bigint;
}

export interface TabRow {
  tab: string;
  merchant: string;
  merchantName: string;
  origins: string[];
  /** The merchant server its receipts are presented to, from the issuer's record. */
  server: string;
  currency: string;
  key: StoredKey;
  certificate: string;
  limit: bigint;
  /** Last seq and cum the wallet assigned, pending receipts included. */
  seq: number;
  cum: bigint;
  expiresAt: number;
  openedAt: number;
}

export type ReceiptStatus = "pending" | "accepted";

export interface ReceiptRow {
  /** `${tab}:${seq}`, so the database itself refuses a second receipt with a used seq. */
  id: string;
  tab: string;
  seq: number;
  merchant: string;
  merchantName: string;
  origin: string;
  resource: string;
  /** The receipt's `res`: the resource an unlock opens or the scope a pass opens. */
  target: string;
  offer: string;
  title: string;
  amount: bigint;
  cum: bigint;
  currency: string;
  status: ReceiptStatus;
  /** Set once signed; a pending receipt without a token was never sent and can be dropped. */
  token?: string;
  certificate?: string;
  at: number;
}

export interface GrantRow {
  /** The receipt that bought it, `${tab}:${seq}`. */
  id: string;
  merchant: string;
  offer: string;
  title: string;
  /** Exactly one of resource (an unlock) or scope (a pass). */
  resource?: string;
  scope?: string;
  token: string;
  expiresAt: number;
  at: number;
}

export interface RuleRow {
  merchant: string;
  name: string;
  currency: string;
  perItem: bigint;
  perDay: bigint;
  createdAt: number;
}

export type ApprovalStatus = "pending" | "approved" | "declined" | "expired";

export interface ApprovalRow {
  id: string;
  status: ApprovalStatus;
  merchant: string;
  name: string;
  origin: string;
  resource: string;
  offer: string;
  title: string;
  kind: "unlock" | "pass" | "api";
  price: bigint;
  currency: string;
  available?: bigint;
  windowId?: number;
  allowUpTo?: bigint;
  createdAt: number;
}

export class WalletDb extends Dexie {
  wallet!: EntityTable<WalletRow, "id">;
  settings!: EntityTable<SettingsRow, "id">;
  tabs!: EntityTable<TabRow, "tab">;
  receipts!: EntityTable<ReceiptRow, "id">;
  grants!: EntityTable<GrantRow, "id">;
  rules!: EntityTable<RuleRow, "merchant">;
  approvals!: EntityTable<ApprovalRow, "id">;

  constructor(name = "opentab-wallet") {
    super(name);
    this.version(1).stores({
      wallet: "id",
      settings: "id",
      tabs: "tab, merchant, openedAt",
      receipts: "id, tab, merchant, status, at, [merchant+at]",
      grants: "id, [merchant+resource], [merchant+scope], expiresAt",
      rules: "merchant",
      approvals: "id, status, windowId",
    });
  }
}
