import { z } from "zod";
import { Currency, MerchantId, Name, PositiveAmount } from "../../shared/schemas";

/**
 * The runtime-message contract between the extension's own parts and its service worker.
 * `page.*` messages come from the content script on a web page; every other message comes
 * from an extension page (popup, options, onboarding, approval window). Amounts are wire
 * strings because runtime messages are JSON-serialised and cannot carry a bigint.
 */

const Page = {
  "page.hello": z.strictObject({ type: z.literal("page.hello") }),
  "page.lookup": z.strictObject({
    type: z.literal("page.lookup"),
    merchant: MerchantId,
    resource: Name,
  }),
  "page.pay": z.strictObject({
    type: z.literal("page.pay"),
    merchant: MerchantId,
    resource: Name,
    offer: Name,
  }),
};

const RecoveryCode = z.string().trim().min(16).max(128);
const Url = z.url().max(255);

const Ui = {
  "wallet.status": z.strictObject({ type: z.literal("wallet.status") }),
  "wallet.create": z.strictObject({ type: z.literal("wallet.create") }),
  "wallet.confirmRecovery": z.strictObject({ type: z.literal("wallet.confirmRecovery") }),
  "wallet.restore": z.strictObject({
    type: z.literal("wallet.restore"),
    recoveryCode: RecoveryCode,
  }),
  "wallet.topUp": z.strictObject({
    type: z.literal("wallet.topUp"),
    amount: PositiveAmount,
    currency: Currency,
  }),
  "wallet.summary": z.strictObject({ type: z.literal("wallet.summary"), site: Url.optional() }),
  "settings.get": z.strictObject({ type: z.literal("settings.get") }),
  "settings.save": z.strictObject({
    type: z.literal("settings.save"),
    issuer: Url,
    defaultTabLimit: PositiveAmount,
    dailyCap: PositiveAmount,
  }),
  "rules.save": z.strictObject({
    type: z.literal("rules.save"),
    merchant: MerchantId,
    perItem: PositiveAmount,
    perDay: PositiveAmount,
  }),
  "rules.remove": z.strictObject({ type: z.literal("rules.remove"), merchant: MerchantId }),
  "history.list": z.strictObject({ type: z.literal("history.list") }),
  "approval.get": z.strictObject({ type: z.literal("approval.get"), id: z.string().max(64) }),
  "approval.decide": z.strictObject({
    type: z.literal("approval.decide"),
    id: z.string().max(64),
    decision: z.enum(["approve", "decline"]),
    allowUpTo: PositiveAmount.optional(),
  }),
};

export const requestSchemas = { ...Page, ...Ui };
export type RequestType = keyof typeof requestSchemas;
export type Request<T extends RequestType = RequestType> = z.infer<(typeof requestSchemas)[T]>;
/** Messages a web page may cause; everything else must come from the extension's own pages. */
export const pageRequestTypes: ReadonlySet<RequestType> = new Set<RequestType>([
  "page.hello",
  "page.lookup",
  "page.pay",
]);

/** First look at any runtime message: only its type, so the router can pick the schema. */
export const RequestHead = z.object({ type: z.string().max(64) });

export function isRequestType(value: string): value is RequestType {
  return Object.hasOwn(requestSchemas, value);
}

export interface BalanceView {
  currency: string;
  available: string;
  reserved: string;
  spent: string;
  testMoney: boolean;
}

export interface GrantView {
  merchant: string;
  offer: string;
  title: string;
  resource?: string;
  scope?: string;
  expiresAt: number;
}

export interface SiteView {
  merchant: string;
  name: string;
  origins: string[];
  currency: string;
  tab?: { id: string; limit: string; cum: string; seq: number; expiresAt: number };
  rule?: RuleView;
  grants: GrantView[];
}

export interface UnlockView {
  merchant: string;
  name: string;
  origin: string;
  resource: string;
  offer: string;
  title: string;
  amount: string;
  currency: string;
  tab: string;
  seq: number;
  status: "pending" | "accepted";
  at: number;
}

export interface RuleView {
  merchant: string;
  name: string;
  perItem: string;
  perDay: string;
  currency: string;
}

export interface SettingsView {
  issuer: string;
  currency: string;
  defaultTabLimit: string;
  dailyCap: string;
}

export interface ApprovalView {
  id: string;
  status: "pending" | "approved" | "declined" | "expired";
  merchant: string;
  name: string;
  origin: string;
  resource: string;
  offer: string;
  title: string;
  kind: "unlock" | "pass" | "api";
  price: string;
  currency: string;
  available?: string;
}

export interface WalletStatus {
  ready: boolean;
  wallet?: string;
  issuer: string;
  recoveryConfirmed: boolean;
}

export interface Replies {
  "page.hello": { type: "hello"; version: 1 };
  "page.lookup": { type: "lookup"; grant?: string };
  "page.pay": { type: "paid"; grant: string; charged: string };
  "wallet.status": WalletStatus;
  "wallet.create": { wallet: string; recoveryCode: string };
  "wallet.confirmRecovery": WalletStatus;
  "wallet.restore": { wallet: string; recoveryCode: string };
  "wallet.topUp": { balance: string };
  "wallet.summary": {
    balances: BalanceView[];
    site?: SiteView;
    sites: SiteView[];
    recent: UnlockView[];
    passes: GrantView[];
  };
  "settings.get": { settings: SettingsView; rules: RuleView[] };
  "settings.save": { settings: SettingsView; rules: RuleView[] };
  "rules.save": { settings: SettingsView; rules: RuleView[] };
  "rules.remove": { settings: SettingsView; rules: RuleView[] };
  "history.list": { unlocks: UnlockView[] };
  "approval.get": ApprovalView;
  "approval.decide": ApprovalView;
}

/** Every reply crosses the runtime channel in this envelope, success or refusal alike. */
export type Envelope<T> = { ok: true; data: T } | { ok: false; error: ErrorView };
export interface ErrorView {
  code: string;
  message: string;
}
