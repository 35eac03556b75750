import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { batchId } from "../shared/ids";
import { generateSigningKey, type KeyPair } from "../shared/keys";
import type { BatchClaims, ReceiptClaims } from "../shared/schemas";
import { signToken } from "../shared/tokens/sign";
import { createTestDatabase } from "../test/support/postgres";
import { IssuerClient, type WalletAuth } from "./client";
import type { IssuerConfigInput } from "./config";
import { type RunningIssuer, startIssuer } from "./start";

/**
 * Builders for the issuer's tests: a running issuer on either store, wallets, merchants, batches.
 */

export type StoreKind = "sqlite" | "postgres";
export const ADMIN_TOKEN = "admin-token-for-tests-only";
export const systemNow = () => Math.floor(Date.now() / 1000);

export interface TestIssuer {
  issuer: RunningIssuer;
  client: IssuerClient;
  dir: string;
}

export async function startTestIssuer(
  kind: StoreKind,
  overrides: Partial<IssuerConfigInput> = {},
): Promise<TestIssuer> {
  const dir = mkdtempSync(join(tmpdir(), "opentab-issuer-"));
  const store =
    kind === "sqlite"
      ? { kind: "sqlite" as const, path: join(dir, "issuer.db") }
      : { kind: "postgres" as const, url: await createTestDatabase("issuer") };
  const issuer = await startIssuer({
    port: 0,
    adminToken: ADMIN_TOKEN,
    testFunding: true,
    store,
    keyFile: join(dir, "keys.json"),
    ...overrides,
  });
  return { issuer, client: new IssuerClient(issuer.url), dir };
}

export interface TestWallet extends WalletAuth {
  identity: KeyPair;
  recoveryCode: string;
}

export async function newWallet(client: IssuerClient): Promise<TestWallet> {
  const identity = await generateSigningKey();
  const { wallet, recoveryCode } = await client.register(identity);
  return { wallet, key: identity, identity, recoveryCode };
}

export interface TestMerchant {
  id: string;
  key: KeyPair;
  origin: string;
}

export async function newMerchant(client: IssuerClient, id: string, currency = "USD") {
  const key = await generateSigningKey(true);
  const origin = `https://${id}.example`;
  await client.registerMerchant(ADMIN_TOKEN, {
    id,
    name: `Merchant ${id}`,
    origins: [origin],
    server: `${origin}/`,
    currency,
    keys: [key.publicJwk],
    payoutAccount: `acct-${id}`,
  });
  return { id, key, origin } satisfies TestMerchant;
}

export interface TestTab {
  tab: string;
  certificate: string;
  key: KeyPair;
  expiresAt: number;
}

export async function openTestTab(
  client: IssuerClient,
  wallet: WalletAuth,
  merchant: TestMerchant,
  limit: bigint,
): Promise<TestTab> {
  const key = await generateSigningKey(true);
  const opened = await client.openTab(wallet, {
    merchant: merchant.id,
    key: key.publicJwk,
    limit,
    currency: "USD",
  });
  return { tab: opened.tab, certificate: opened.certificate, key, expiresAt: opened.expiresAt };
}

export function signReceipt(
  tab: TestTab,
  merchant: TestMerchant,
  seq: number,
  cum: bigint,
  overrides: Partial<ReceiptClaims> = {},
  signer: KeyPair = tab.key,
): Promise<string> {
  return signToken(
    "receipt",
    {
      aud: merchant.id,
      tab: tab.tab,
      seq,
      amt: cum.toString(),
      cum: cum.toString(),
      org: merchant.origin,
      res: "article-1",
      off: "article-1",
      iat: systemNow(),
      exp: tab.expiresAt,
      ...overrides,
    },
    signer,
  );
}

export async function signBatch(
  issuer: RunningIssuer,
  merchant: TestMerchant,
  lines: BatchClaims["lines"],
  win = "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z#0",
): Promise<string> {
  const iat = systemNow();
  return signToken(
    "batch",
    {
      iss: merchant.id,
      aud: issuer.issuerId,
      bid: await batchId(merchant.id, "USD", win),
      cur: "USD",
      win,
      lines,
      iat,
      exp: iat + 86_400,
    },
    merchant.key,
  );
}

export interface Suite extends TestIssuer {
  shop: TestMerchant;
}

/** One issuer with one merchant for a describe block, started before and closed after it. */
export function issuerSuite(kind: StoreKind, merchant: string): Suite {
  const suite: Partial<Suite> = {};
  const ready = (): Suite => {
    const { issuer, client, dir, shop } = suite;
    if (!issuer || !client || dir === undefined || !shop) throw new Error("suite not started");
    return { issuer, client, dir, shop };
  };
  beforeAll(async () => {
    const started = await startTestIssuer(kind);
    Object.assign(suite, started, { shop: await newMerchant(started.client, merchant) });
  });
  afterAll(() => suite.issuer?.close());
  return {
    get issuer() {
      return ready().issuer;
    },
    get client() {
      return ready().client;
    },
    get dir() {
      return ready().dir;
    },
    get shop() {
      return ready().shop;
    },
  };
}
