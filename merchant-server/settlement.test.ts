import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, newWallet, startTestIssuer, type TestIssuer } from "../issuer/testing";
import { batchId } from "../shared/ids";
import { generateSigningKey } from "../shared/keys";
import { signToken } from "../shared/tokens/sign";
import { now } from "../test/support/builders";
import { MerchantClient } from "./client";
import { loadMerchantKey } from "./merchant-key";
import { batchIdSync } from "./settlement";
import { type RunningMerchant, startMerchant } from "./start";
import { ORIGIN, STORES, type StoreKind, storeConfig, tempDir, testConfig } from "./testing";

/** Settlement against the real issuer (issuer/start.ts), on each store for both parties. */

interface World {
  env: TestIssuer;
  dir: string;
  config: (hooks?: { issuerFetch?: typeof fetch }) => Parameters<typeof startMerchant>[0];
}

async function world(kind: StoreKind): Promise<World> {
  const env = await startTestIssuer(kind);
  const dir = tempDir();
  const store = await storeConfig(kind, dir);
  const issuer = { url: env.issuer.issuerId, trustedKeys: env.issuer.keyThumbprints() };
  const key = await loadMerchantKey(`${dir}/merchant-key.json`);
  await env.client.registerMerchant(ADMIN_TOKEN, {
    id: "daily-planet",
    name: "The Daily Planet",
    origins: [ORIGIN],
    server: "http://127.0.0.1:4101/",
    currency: "USD",
    keys: [key.publicJwk],
    payoutAccount: "acct-daily-planet",
  });
  return { env, dir, config: (hooks = {}) => ({ ...testConfig(dir, store, issuer), ...hooks }) };
}

/** A wallet with one tab at this merchant, paying the given offers in order. */
async function payer(env: TestIssuer, merchant: RunningMerchant, limit: bigint) {
  const wallet = await newWallet(env.client);
  await env.client.topUp(wallet, 50_000_000n, "USD");
  const key = await generateSigningKey(true);
  const tab = await env.client.openTab(wallet, {
    merchant: "daily-planet",
    key: key.publicJwk,
    limit,
    currency: "USD",
  });
  const client = new MerchantClient(merchant.url);
  let seq = 0;
  let cum = 0n;
  return {
    wallet,
    tab: tab.tab,
    async pay(offer: string, amt: bigint) {
      seq += 1;
      cum += amt;
      const receipt = await signToken(
        "receipt",
        {
          aud: "daily-planet",
          tab: tab.tab,
          seq,
          amt: amt.toString(),
          cum: cum.toString(),
          org: ORIGIN,
          res: offer,
          off: offer,
          iat: now(),
          exp: tab.expiresAt,
        },
        key,
      );
      return client.unlock({ certificate: tab.certificate, receipt });
    },
  };
}

it("computes the same batch id as shared/ids.ts", async () => {
  const win = "2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z#1";
  expect(batchIdSync("daily-planet", "USD", win)).toBe(await batchId("daily-planet", "USD", win));
});

describe.each(STORES)("settlement on %s", (kind) => {
  let w: World;
  beforeAll(async () => {
    w = await world(kind);
  });
  afterAll(() => w.env.issuer.close());

  it("settles each receipt once and the report matches the statement to the micro-unit", async () => {
    const merchant = await startMerchant(w.config());
    try {
      const a = await payer(w.env, merchant, 5_000_000n);
      const b = await payer(w.env, merchant, 5_000_000n);
      await a.pay("moon-landing", 250_000n);
      await a.pay("brief", 1_234n);
      await a.pay("mars-rover", 400_000n);
      await b.pay("brief", 1_234n);

      const first = await merchant.settle();
      expect(first.batches).toHaveLength(1);
      expect(first.batches[0]?.status).toBe("settled");
      // 652,468 micro-USD: 65 cents paid out, 2,468 carried.
      expect(first.batches[0]?.payout).toBe(650_000n);
      expect(first.batches[0]?.carryOut).toBe(2_468n);
      expect((await merchant.settle()).batches).toEqual([]);

      await b.pay("brief", 1_234n);
      const second = await merchant.settle();
      expect(second.batches).toHaveLength(1);

      const report = await merchant.reconciliation();
      const [one, two] = report.batches;
      expect(one?.lines.map((l) => [l.tab, l.accepted, l.paid])).toEqual(
        [
          [a.tab, 651_234n, 651_234n],
          [b.tab, 1_234n, 1_234n],
        ].sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)),
      );
      expect(one?.gross).toBe(652_468n);
      expect(two?.lines.map((l) => [l.tab, l.seq, l.accepted, l.paid])).toEqual([
        [b.tab, 2, 1_234n, 1_234n],
      ]);
      // Carry in from the first batch: 2,468 + 1,234 = 3,702, still below a cent.
      expect([two?.carryIn, two?.payout, two?.carryOut]).toEqual([2_468n, 0n, 3_702n]);
      expect(report.totals).toEqual([
        {
          currency: "USD",
          accepted: 653_702n,
          paid: 653_702n,
          payout: 650_000n,
          carry: 3_702n,
          refused: 0n,
          pending: 0n,
        },
      ]);
    } finally {
      await merchant.close();
    }
  });

  it("a batch survives a crash between pending and statement stored, and pays once", async () => {
    let loseReplies = true;
    // The issuer receives and clears the batch; the merchant never hears back (it "crashed").
    const lossy: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (loseReplies && String(input).endsWith("/v1/settlements")) throw new Error("lost");
      return response;
    };
    const crashing = await startMerchant(w.config({ issuerFetch: lossy }));
    const p = await payer(w.env, crashing, 5_000_000n);
    await p.pay("moon-landing", 250_000n);
    const lost = await crashing.settle();
    expect(lost.batches.map((b) => [b.status, b.error])).toEqual([
      ["pending", "issuer_unavailable"],
    ]);
    await crashing.close();

    loseReplies = false;
    const restarted = await startMerchant(w.config({ issuerFetch: lossy }));
    try {
      const report = await restarted.reconciliation();
      const batch = report.batches.find((b) => b.bid === lost.batches[0]?.bid);
      expect(batch?.status).toBe("settled");
      expect(batch?.lines.map((l) => [l.tab, l.paid])).toEqual([[p.tab, 250_000n]]);
      const tabs = (await w.env.client.statement(p.wallet)).tabs;
      expect(tabs.find((t) => t.tab === p.tab)?.settled).toBe(250_000n);
    } finally {
      await restarted.close();
    }
  });
});
