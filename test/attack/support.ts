import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { importJWK } from "jose";
import { expect } from "vitest";
import { z } from "zod";
import { IssuerClient, type WalletAuth } from "../../issuer/client";
import { type RunningIssuer, startIssuer } from "../../issuer/start";
import type { MerchantConfigInput } from "../../merchant-server/config";
import { type RunningMerchant, startMerchant } from "../../merchant-server/start";
import { testConfig } from "../../merchant-server/testing";
import { generateSigningKey, type KeyPair, type SigningKey } from "../../shared/keys";
import type { CertificateClaims, ReceiptClaims } from "../../shared/schemas";
import { signToken } from "../../shared/tokens/sign";

/**
 * The live world the attack suite runs against: a real issuer and two real merchant servers
 * on 127.0.0.1 (SQLite each), a wallet registered through IssuerClient, and helpers that send
 * raw HTTP and prove that a refusal changed nothing in any database.
 */

export const ISSUER_ADMIN = "attack-issuer-admin-token";
export const MERCHANT_ADMIN = "attack-merchant-admin-token";
export const nowS = (): number => Math.floor(Date.now() / 1000);

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `opentab-${prefix}-`));
}

/** Every row of every table of a SQLite file, read through its own read-only connection. */
export function sqliteRows(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    const tables = db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all();
    const rows: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      rows[name] = db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all();
    }
    return rows;
  } finally {
    db.close();
  }
}

export const MERCHANTS = ["daily-planet", "gotham-gazette"] as const;
export type MerchantName = (typeof MERCHANTS)[number];
export const originOf = (id: string): string => `https://${id}.example`;

const FORECAST = {
  id: "forecast",
  title: "A forecast",
  method: "POST" as const,
  path: "/api/forecast",
  price: "20000",
};

/**
 * The merchant server's own test catalogue (moon-landing, mars-rover, day-pass, the GET quote
 * API) plus a POST API, under another merchant id and origin.
 */
export function merchantConfig(
  id: string,
  dir: string,
  issuer: { url: string; trustedKeys: string[] },
  overrides: Partial<MerchantConfigInput> = {},
): MerchantConfigInput {
  const store = { kind: "sqlite" as const, path: join(dir, `${id}.sqlite`) };
  const base = testConfig(dir, store, issuer);
  return {
    ...base,
    merchant: id,
    name: `Merchant ${id}`,
    origins: [originOf(id)],
    adminToken: MERCHANT_ADMIN,
    keyFile: join(dir, `${id}-key.json`),
    catalogue: { ...base.catalogue, apis: [...(base.catalogue.apis ?? []), FORECAST] },
    ...overrides,
  };
}

const IssuerKeyFile = z.object({
  keys: z.array(
    z.object({
      kid: z.string(),
      private: z.object({
        kty: z.string(),
        crv: z.string(),
        x: z.string(),
        y: z.string(),
        d: z.string(),
      }),
    }),
  ),
});

/** The issuer's own signing key, read from its key file: lets a test forge what only it signs. */
export async function issuerSigningKey(keyFile: string): Promise<SigningKey> {
  const file = IssuerKeyFile.parse(JSON.parse(readFileSync(keyFile, "utf8")));
  const stored = file.keys.at(-1);
  if (!stored) throw new Error("issuer key file holds no key");
  const privateKey = await importJWK(stored.private, "ES256");
  if (!(privateKey instanceof CryptoKey)) throw new Error("issuer key is not a CryptoKey");
  return { privateKey, kid: stored.kid };
}

export interface LiveTab {
  merchant: string;
  tab: string;
  certificate: string;
  key: KeyPair;
  expiresAt: number;
  limit: bigint;
}

export interface LiveWorld {
  dir: string;
  issuer: RunningIssuer;
  issuerClient: IssuerClient;
  issuerKey: SigningKey;
  merchants: Record<MerchantName, RunningMerchant>;
  wallet: WalletAuth;
  openTab(merchant: MerchantName, limit?: bigint): Promise<LiveTab>;
  /** Rows of the issuer's and both merchants' databases. */
  snapshot(): Record<string, Record<string, unknown[]>>;
  close(): Promise<void>;
}

/** A test-funded issuer on SQLite whose database and key file live in `dir`. */
export function startIssuerIn(dir: string): Promise<RunningIssuer> {
  return startIssuer({
    port: 0,
    adminToken: ISSUER_ADMIN,
    testFunding: true,
    store: { kind: "sqlite", path: join(dir, "issuer.sqlite") },
    keyFile: join(dir, "issuer-keys.json"),
  });
}

export async function startLiveWorld(): Promise<LiveWorld> {
  const dir = tempDir("attack");
  const issuer = await startIssuerIn(dir);
  const issuerClient = new IssuerClient(issuer.url);
  const trust = { url: issuer.url, trustedKeys: issuer.keyThumbprints() };
  const started: RunningMerchant[] = [];
  for (const id of MERCHANTS) {
    const merchant = await startMerchant(merchantConfig(id, dir, trust));
    started.push(merchant);
    await issuerClient.registerMerchant(ISSUER_ADMIN, {
      id,
      name: `Merchant ${id}`,
      origins: [originOf(id)],
      server: merchant.url,
      currency: "USD",
      keys: [merchant.publicJwk],
      payoutAccount: `acct-${id}`,
    });
  }
  const [planet, gazette] = started;
  if (!planet || !gazette) throw new Error("merchants did not start");

  const identity = await generateSigningKey();
  const { wallet } = await issuerClient.register(identity);
  const auth: WalletAuth = { wallet, key: identity };
  await issuerClient.topUp(auth, 1_000_000_000n, "USD");

  return {
    dir,
    issuer,
    issuerClient,
    issuerKey: await issuerSigningKey(join(dir, "issuer-keys.json")),
    merchants: { "daily-planet": planet, "gotham-gazette": gazette },
    wallet: auth,
    async openTab(merchant, limit = 5_000_000n) {
      const key = await generateSigningKey(true);
      const opened = await issuerClient.openTab(auth, {
        merchant,
        key: key.publicJwk,
        limit,
        currency: "USD",
      });
      return { merchant, key, ...opened };
    },
    snapshot() {
      return {
        issuer: sqliteRows(join(dir, "issuer.sqlite")),
        ...Object.fromEntries(MERCHANTS.map((id) => [id, sqliteRows(join(dir, `${id}.sqlite`))])),
      };
    },
    async close() {
      for (const merchant of started) await merchant.close();
      await issuer.close();
    },
  };
}

export function receiptClaimsFor(tab: LiveTab): ReceiptClaims {
  return {
    aud: tab.merchant,
    tab: tab.tab,
    seq: 1,
    amt: "250000",
    cum: "250000",
    org: originOf(tab.merchant),
    res: "moon-landing",
    off: "moon-landing",
    iat: nowS(),
    exp: tab.expiresAt,
  };
}

export function receiptFor(
  tab: LiveTab,
  overrides: Partial<ReceiptClaims> = {},
  signer: SigningKey = tab.key,
): Promise<string> {
  return signToken("receipt", { ...receiptClaimsFor(tab), ...overrides }, signer);
}

/** A certificate as the issuer would sign it, with any claim changed (forged with its key). */
export function certificateFor(
  tab: LiveTab,
  issuerUrl: string,
  key: SigningKey,
  overrides: Partial<CertificateClaims> = {},
): Promise<string> {
  const claims: CertificateClaims = {
    iss: issuerUrl,
    sub: tab.tab,
    aud: tab.merchant,
    cnf: { jwk: tab.key.publicJwk },
    lim: tab.limit.toString(),
    cur: "USD",
    iat: nowS() - 60,
    exp: tab.expiresAt,
    ...overrides,
  };
  return signToken("certificate", claims, key);
}

export interface Reply {
  status: number;
  code: string | undefined;
  body: unknown;
}

const ErrorReply = z.object({ error: z.object({ code: z.string() }) });

export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const response = await fetch(url, {
    method: init.method ?? "POST",
    headers: init.headers ?? { "content-type": "application/json" },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  const error = ErrorReply.safeParse(body);
  return { status: response.status, code: error.success ? error.data.error.code : undefined, body };
}

export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  send(url, {
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

/**
 * Runs an attack and proves it moved nothing: no row appeared, changed or vanished in the
 * issuer's or either merchant's database. Answers the attack's reply.
 */
export async function unchanged(
  world: { snapshot(): Record<string, Record<string, unknown[]>> },
  attack: () => Promise<Reply>,
): Promise<Reply> {
  const before = world.snapshot();
  const reply = await attack();
  expect(world.snapshot()).toEqual(before);
  return reply;
}

/** A refusal: the expected code, a 4xx or 503 status, and no grant or content in the body. */
export function expectRefused(reply: Reply, code: string): void {
  expect(reply.code).toBe(code);
  expect(reply.status).toBeGreaterThanOrEqual(400);
  expect(JSON.stringify(reply.body)).not.toMatch(/"grant"|"content"/);
}

/** The path a merchant receives unlocks on. */
export const unlockUrl = (merchant: RunningMerchant): string => `${merchant.url}/v1/unlock`;
