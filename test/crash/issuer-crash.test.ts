import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IssuerClient } from "../../issuer/client";
import { type RunningMerchant, startMerchant } from "../../merchant-server/start";
import { generateSigningKey } from "../../shared/keys";
import {
  ISSUER_ADMIN,
  type LiveTab,
  merchantConfig,
  originOf,
  receiptFor,
  send,
  sqliteRows,
  tempDir,
} from "../attack/support";
import { type Child, freePort, prng, spawnIssuer } from "./child";

/**
 * The issuer as a child process, killed with SIGKILL while a merchant's batch is being cleared:
 * before the request reaches it, right as it arrives, or after it answered (the answer lost).
 * The merchant keeps the batch pending and resubmits it, same id and lines, to the restarted
 * issuer: every batch pays exactly once.
 */

const SEED = 20_261_025;
const RUNS = 6;
const MODES = ["before", "arriving", "answered"] as const;
type Mode = (typeof MODES)[number];
const PRICE = 250_000n;
const MERCHANT = "daily-planet";

let dir: string;
let url: string;
let configPath: string;
let issuer: Child;
let merchant: RunningMerchant;
let offset = 0;
let mode: Mode | undefined;
const tabs: LiveTab[] = [];

/** Calls to the issuer go through here, so the test can kill it mid-settlement. */
const issuerFetch: typeof fetch = async (input, init) => {
  const current = mode;
  if (!String(input).endsWith("/v1/settlements") || current === undefined) {
    return fetch(input, init);
  }
  mode = undefined;
  if (current === "before") {
    await issuer.kill();
    throw new TypeError("issuer killed before the batch was sent");
  }
  if (current === "arriving") {
    const reply = fetch(input, init);
    void issuer.kill();
    return reply;
  }
  const reply = await fetch(input, init);
  await reply.text();
  await issuer.kill();
  throw new TypeError("issuer killed after answering; the answer is lost");
};

beforeAll(async () => {
  dir = tempDir("crash-issuer");
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  configPath = join(dir, "issuer.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      port,
      publicUrl: url,
      adminToken: ISSUER_ADMIN,
      testFunding: true,
      store: { kind: "sqlite", path: "issuer.sqlite" },
      keyFile: "issuer-keys.json",
    }),
  );
  issuer = await spawnIssuer(configPath, url);
  const client = new IssuerClient(url);
  const jwks = await client.jwks();
  merchant = await startMerchant({
    ...merchantConfig(MERCHANT, dir, { url, trustedKeys: jwks.keys.map((k) => k.kid) }),
    now: () => Date.now() + offset,
    issuerFetch,
  });
  await client.registerMerchant(ISSUER_ADMIN, {
    id: MERCHANT,
    name: "The Daily Planet",
    origins: [originOf(MERCHANT)],
    server: merchant.url,
    currency: "USD",
    keys: [merchant.publicJwk],
    payoutAccount: "acct-daily-planet",
  });
  const identity = await generateSigningKey();
  const { wallet } = await client.register(identity);
  await client.topUp({ wallet, key: identity }, 100_000_000n, "USD");
  for (let i = 0; i < 2; i++) {
    const key = await generateSigningKey(true);
    const opened = await client.openTab(
      { wallet, key: identity },
      { merchant: MERCHANT, key: key.publicJwk, limit: 10_000_000n, currency: "USD" },
    );
    tabs.push({ merchant: MERCHANT, key, ...opened });
  }
});
afterAll(async () => {
  await merchant.close();
  await issuer.kill();
});

/** Σ of the issuer's settle transfers to the merchant, read from its database on disk. */
function settledAtIssuer(): bigint {
  const transfers = sqliteRows(join(dir, "issuer.sqlite")).transfers ?? [];
  return transfers
    .filter((t) => Reflect.get(Object(t), "kind") === "settle")
    .reduce((sum: bigint, t) => sum + BigInt(String(Reflect.get(Object(t), "amount"))), 0n);
}

describe("issuer killed while clearing a batch", () => {
  it(`pays every resubmitted batch once over ${RUNS} kills (seed ${SEED})`, async () => {
    const rand = prng(SEED);
    let seq = 0;
    for (let run = 0; run < RUNS; run++) {
      seq += 1;
      for (const tab of tabs) {
        const receipt = await receiptFor(tab, { seq, cum: (PRICE * BigInt(seq)).toString() });
        const reply = await send(`${merchant.url}/v1/unlock`, {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ certificate: tab.certificate, receipt }),
        });
        expect(reply.status).toBe(200);
      }
      offset += 2_000;
      mode = MODES[Math.floor(rand() * MODES.length)];
      await merchant.settle();
      // Whether or not the batch got through, the issuer is dead now; it comes back as it was.
      await issuer.kill();
      issuer = await spawnIssuer(configPath, url);
      const again = await merchant.settle();
      expect(again.batches.every((b) => b.status === "settled")).toBe(true);

      const batches = await merchant.store.batches();
      expect(batches.length).toBe(run + 1);
      expect(batches.every((b) => b.status === "settled")).toBe(true);
      const paidToMerchant = batches.reduce((sum, b) => sum + (b.statement?.gross ?? 0n), 0n);
      const expected = PRICE * BigInt(seq) * BigInt(tabs.length);
      expect(paidToMerchant).toBe(expected);
      expect(settledAtIssuer()).toBe(expected);
    }
  }, 120_000);
});
