import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IssuerClient } from "../../issuer/client";
import { type RunningIssuer, startIssuer } from "../../issuer/start";
import type { MerchantConfigInput } from "../../merchant-server/config";
import { type RunningMerchant, startMerchant } from "../../merchant-server/start";
import { signToken } from "../../shared/tokens/sign";
import { peekClaims } from "../../shared/tokens/verify";
import {
  ISSUED_AT,
  ISSUER_URL,
  MERCHANT,
  NOW,
  PRICE,
  receiptClaims,
  TAB_A,
  TAB_EXPIRY,
} from "../vectors/fixtures";
import { type Vector, VectorFile } from "../vectors/format";
import { loadKeys, type TestKeys } from "../vectors/keys";
import { ISSUER_ADMIN, type Reply, send, sqliteRows, tempDir } from "./support";

/**
 * Every vector of test/vectors presented over HTTP to a running issuer and merchant server.
 * Both are configured with the vectors' fixed test-only keys (the issuer signs with the vector
 * issuer key, the merchant with the vector merchant key and trusts only the vector issuer key)
 * and run at the vectors' fixed clock, so the signed tokens apply as they are:
 * certificate and receipt vectors as an unlock, grant vectors as an access, batch vectors as a
 * settlement, request vectors as a wallet call, statement vectors as the issuer's answer to
 * the merchant's settlement. A refusal carries the vector's code and changes no row.
 */

const VECTORS = join(import.meta.dirname, "../vectors");
const WALLET = "wal_VectorWallet0000000000";
const read = (file: string) =>
  VectorFile.parse(JSON.parse(readFileSync(join(VECTORS, `${file}.json`), "utf8"))).vectors;

let keys: TestKeys;
let dir: string;
let issuer: RunningIssuer;

/** The issuer's key file holding the vector issuer key, so it signs and verifies as they do. */
function writeIssuerKeyFile(path: string): void {
  const jwk = JSON.parse(readFileSync(join(VECTORS, "keys/issuer.test-only.jwk.json"), "utf8"));
  const { kty, crv, x, y } = jwk;
  const stored = { kid: keys.issuer.kid, public: { kty, crv, x, y }, private: jwk };
  writeFileSync(path, JSON.stringify({ keys: [{ ...stored, created_at: ISSUED_AT - 86_400 }] }));
}

beforeAll(async () => {
  keys = await loadKeys();
  dir = tempDir("vectors");
  writeIssuerKeyFile(join(dir, "issuer-keys.json"));
  issuer = await startIssuer({
    port: 0,
    publicUrl: ISSUER_URL,
    adminToken: ISSUER_ADMIN,
    store: { kind: "sqlite", path: join(dir, "issuer.sqlite") },
    keyFile: join(dir, "issuer-keys.json"),
    now: () => NOW,
  });
  await new IssuerClient(issuer.url).registerMerchant(ISSUER_ADMIN, {
    id: MERCHANT,
    name: "The Daily Planet",
    origins: ["https://dailyplanet.example"],
    server: "https://dailyplanet.example",
    currency: "USD",
    keys: [keys.merchant.publicJwk],
    payoutAccount: "acct-daily-planet",
  });
  // The vectors' wallet and tab A, as the issuer would hold them after registration and opening.
  const { store } = issuer;
  const walletKey = { kid: keys.wallet.kid, jwk: keys.wallet.publicJwk };
  await store.createWallet(WALLET, { ...walletKey, recoverySalt: "-", recoveryHash: "-" }, NOW);
  await store.topUp(WALLET, 100_000_000n, "USD", "topup_vectors", ISSUED_AT);
  await store.openTab({
    id: TAB_A,
    wallet: WALLET,
    merchant: MERCHANT,
    currency: "USD",
    tabKid: keys.tabA.kid,
    tabJwk: keys.tabA.publicJwk,
    limit: 5_000_000n,
    at: ISSUED_AT,
    expiresAt: TAB_EXPIRY,
  });
});
afterAll(() => issuer.close());

let merchants = 0;

/** A fresh merchant server for one vector, at the vectors' clock (movable for settlement). */
async function vectorMerchant(
  origins: string[],
  overrides: Partial<MerchantConfigInput> = {},
): Promise<{ merchant: RunningMerchant; rows: () => unknown }> {
  const id = ++merchants;
  const keyFile = join(dir, `merchant-${id}.json`);
  copyFileSync(join(VECTORS, "keys/merchant.test-only.jwk.json"), keyFile);
  const store = { kind: "sqlite" as const, path: join(dir, `merchant-${id}.sqlite`) };
  const merchant = await startMerchant({
    merchant: MERCHANT,
    name: "The Daily Planet",
    origins,
    currency: "USD",
    adminToken: "vector-merchant-admin-token",
    keyFile,
    issuer: { url: issuer.url, trustedKeys: [keys.issuer.kid] },
    store,
    catalogue: {
      resources: [
        {
          id: "moon-landing",
          title: "Men walk on the Moon",
          price: PRICE,
          teaser: "…",
          content: "<p>The Eagle has landed.</p>",
          scopes: ["all-articles"],
        },
      ],
      passes: [
        {
          id: "day-pass",
          title: "Every article for a day",
          scope: "all-articles",
          durationSeconds: 86_400,
          price: "1000000",
        },
      ],
    },
    now: () => NOW * 1000,
    ...overrides,
  });
  const rows = () => ({
    issuer: sqliteRows(join(dir, "issuer.sqlite")),
    ...sqliteRows(store.path),
  });
  return { merchant, rows };
}

const unlock = (m: RunningMerchant, certificate: string, receipt: string) =>
  send(`${m.url}/v1/unlock`, {
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ certificate, receipt }),
  });

/** Receipts 1..seq of tab A at the vector price, so the merchant holds the vector's state. */
async function advance(m: RunningMerchant, certificate: string, seq: number): Promise<void> {
  for (let n = 1; n <= seq; n++) {
    const cum = (BigInt(PRICE) * BigInt(n)).toString();
    const claims = receiptClaims({ seq: n, cum, iat: NOW - 20 });
    const reply = await unlock(m, certificate, await signToken("receipt", claims, keys.tabA));
    expect(reply.status).toBe(200);
  }
}

/** Runs an attack, checks its outcome, and that a refusal left every row as it was. */
async function judged(expected: string, rows: () => unknown, attack: () => Promise<Reply>) {
  const before = rows();
  const reply = await attack();
  if (expected === "accept") {
    expect(reply.status).toBe(200);
    return;
  }
  expect(reply.code).toBe(expected);
  expect(JSON.stringify(reply.body)).not.toMatch(/"grant"|"content"/);
  expect(rows()).toEqual(before);
}

const title = (v: Vector, code: string) =>
  code === "accept" ? `accepts ${v.name} (positive control)` : `refuses ${v.name} (${code})`;

// Refusals first: the accepted vectors move tab A at the issuer.
const ordered = (vectors: Vector[]) =>
  [...vectors].sort((a, b) => Number(a.expect === "accept") - Number(b.expect === "accept"));

describe("receipt vectors as unlocks", () => {
  for (const v of read("receipt")) {
    if (v.kind !== "receipt") continue;
    it(title(v, v.expect), async () => {
      const { merchant, rows } = await vectorMerchant(v.context.origins);
      try {
        await advance(merchant, v.tokens.certificate, v.context.state.seq);
        await judged(v.expect, rows, () =>
          unlock(merchant, v.tokens.certificate, v.tokens.receipt),
        );
      } finally {
        await merchant.close();
      }
    });
  }
});

describe("certificate vectors as unlocks with a valid first receipt", () => {
  const first = read("receipt").find((v) => v.name === "receipt-first");
  for (const v of read("certificate")) {
    if (v.kind !== "certificate" || first?.kind !== "receipt") continue;
    it(title(v, v.expect), async () => {
      const { merchant, rows } = await vectorMerchant(first.context.origins);
      try {
        await judged(v.expect, rows, () =>
          unlock(merchant, v.tokens.certificate, first.tokens.receipt),
        );
      } finally {
        await merchant.close();
      }
    });
  }
});

/** The merchant answers grant failures as grant_expired or grant_invalid (protocol §4). */
const grantCode = (code: string) =>
  code === "accept" ? code : code === "token_expired" ? "grant_expired" : "grant_invalid";

describe("grant vectors as access requests", () => {
  for (const v of read("grant")) {
    if (v.kind !== "grant") continue;
    it(title(v, grantCode(v.expect)), async () => {
      const { merchant, rows } = await vectorMerchant(["https://dailyplanet.example"]);
      try {
        const body = JSON.stringify({ grant: v.tokens.token, resource: "moon-landing" });
        await judged(grantCode(v.expect), rows, () =>
          send(`${merchant.url}/v1/access`, {
            headers: { "content-type": "application/json" },
            body,
          }),
        );
      } finally {
        await merchant.close();
      }
    });
  }
});

/**
 * The issuer answers a failed request token with request codes (protocol §2.4). One exception:
 * the close route checks its body's shape (`{}`) before the token, so the limit body signed for
 * the limit path and sent to the close path is refused there as invalid_body.
 */
function requestCode(v: Vector, used: Set<string>): string {
  if (v.name === "request-other-path") return "invalid_body";
  const code = v.expect;
  // The vectors share one nonce: once an accepted vector used it, the next is a replay.
  const jti = String(peekClaims("token" in v.tokens ? v.tokens.token : "")?.jti);
  if (code === "accept" && used.has(jti)) return "request_replayed";
  if (code === "accept") used.add(jti);
  if (code === "token_expired" || code === "token_issued_in_future") return "request_stale";
  if (code === "token_key_unknown") return "wallet_unknown";
  if (code.startsWith("token_") || code === "signature_not_canonical") {
    return "request_signature_invalid";
  }
  return code;
}

const issuerRows = () => ({ issuer: sqliteRows(join(dir, "issuer.sqlite")) });

describe("request vectors as wallet calls to the issuer", () => {
  const used = new Set<string>();
  for (const v of ordered(read("request"))) {
    if (v.kind !== "request") continue;
    const { method, path, body } = v.context.request;
    const code = requestCode(v, used);
    it(title(v, code), async () => {
      await judged(code, issuerRows, () =>
        send(`${issuer.url}${path}`, {
          method,
          headers: {
            authorization: `OpenTab ${v.tokens.token}`,
            ...(method === "GET" ? {} : { "content-type": "application/json" }),
          },
          ...(method === "GET" ? {} : { body }),
        }),
      );
    });
  }
});

describe("batch vectors as settlements", () => {
  for (const v of ordered(read("batch"))) {
    if (v.kind !== "batch") continue;
    it(title(v, v.expect), async () => {
      await judged(v.expect, issuerRows, () =>
        send(`${issuer.url}/v1/settlements`, {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ batch: v.tokens.token }),
        }),
      );
    });
  }
});

describe("statement vectors as the issuer's answer to a settlement", () => {
  for (const v of read("statement")) {
    if (v.kind !== "statement") continue;
    // The valid statement is for another batch than the merchant's: not its answer either.
    const code = v.expect === "accept" ? "issuer_unavailable" : v.expect;
    it(`keeps the batch pending, unpaid, on ${v.name} (${code})`, async () => {
      let clock = NOW * 1000;
      const answer: typeof fetch = async (input, init) =>
        String(input).endsWith("/v1/settlements")
          ? Response.json({ statement: v.tokens.token })
          : fetch(input, init);
      const { merchant } = await vectorMerchant(["https://dailyplanet.example"], {
        now: () => clock,
        issuerFetch: answer,
      });
      try {
        await advance(merchant, certificateA(), 1);
        clock += 10_000;
        const run = await merchant.settle();
        expect(run.batches.map((b) => [b.status, b.error])).toEqual([["pending", code]]);
        const [stored] = await merchant.store.batches();
        expect(stored?.statement).toBeUndefined();
        expect(stored?.lines.every((l) => l.result === undefined)).toBe(true);
      } finally {
        await merchant.close();
      }
    });
  }
});

/** Tab A's valid certificate, as the receipt vectors carry it. */
function certificateA(): string {
  const first = read("receipt").find((v) => v.name === "receipt-first");
  if (first?.kind !== "receipt") throw new Error("receipt-first vector is missing");
  expect(peekClaims(first.tokens.certificate)?.sub).toBe(TAB_A);
  return first.tokens.certificate;
}
