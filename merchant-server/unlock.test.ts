import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OpenTabError } from "../shared/errors";
import type { KeyPair } from "../shared/keys";
import { buildReceipt, buildTab, now, type TabFixture, testKey } from "../test/support/builders";
import { MerchantClient } from "./client";
import { type RunningMerchant, startMerchant } from "./start";
import {
  ADMIN,
  ORIGIN,
  postJson,
  STORES,
  storeConfig,
  TestJwks,
  tempDir,
  testConfig,
} from "./testing";

async function refusal(promise: Promise<unknown>): Promise<OpenTabError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof OpenTabError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe.each(STORES)("unlock on %s", (kind) => {
  let issuerKey: KeyPair;
  let jwks: TestJwks;
  let merchant: RunningMerchant;
  let client: MerchantClient;
  let tab: TabFixture;

  beforeAll(async () => {
    issuerKey = await testKey();
    jwks = await new TestJwks([issuerKey]).start();
  });
  afterAll(() => jwks.close());

  beforeEach(async () => {
    jwks.failing = false;
    const dir = tempDir();
    const issuer = { url: jwks.url, trustedKeys: [issuerKey.kid] };
    merchant = await startMerchant(testConfig(dir, await storeConfig(kind, dir), issuer));
    client = new MerchantClient(merchant.url);
    tab = await buildTab(issuerKey);
  });
  afterEach(() => merchant.close());

  const pay = async (overrides: Parameters<typeof buildReceipt>[1] = {}, t = tab) =>
    client.unlock({ certificate: t.certificate, receipt: await buildReceipt(t, overrides) });

  it("accepts a receipt and answers a grant with the content", async () => {
    const unlocked = await pay();
    expect(unlocked.resource).toBe("moon-landing");
    expect(unlocked.content).toBe("<p>The Eagle has landed.</p>");
    expect(await client.tabState(tab.claims.sub)).toEqual({
      seq: 1,
      cum: 250000n,
      limit: 5000000n,
    });
  });

  it("counts accepted and refused unlocks in metrics it shows only with the admin token", async () => {
    await pay();
    await refusal(pay({ iat: now() - 100 }));
    const anonymous = await fetch(`${merchant.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: "admin_token_invalid" } });
    const authorization = `Bearer ${ADMIN}`;
    const metrics = await (
      await fetch(`${merchant.url}/metrics`, { headers: { authorization } })
    ).text();
    expect(metrics).toContain('opentab_merchant_payments_total{outcome="accepted",code=""} 1');
    expect(metrics).toContain(
      'opentab_merchant_payments_total{outcome="refused",code="seq_reused"} 1',
    );
  });

  it("returns the original grant for the identical receipt and charges nothing", async () => {
    const receipt = await buildReceipt(tab);
    const first = await client.unlock({ certificate: tab.certificate, receipt });
    const again = await client.unlock({ certificate: tab.certificate, receipt });
    expect(again.grant).toBe(first.grant);
    expect((await client.tabState(tab.claims.sub)).cum).toBe(250000n);
  });

  it("refuses a different receipt with a used seq (seq_reused)", async () => {
    await pay();
    // Far enough from the first receipt's iat that a second boundary cannot make them equal.
    const error = await refusal(pay({ iat: now() - 100 }));
    expect(error.code).toBe("seq_reused");
  });

  it("refuses a gap with the tab's state (seq_out_of_order)", async () => {
    await pay();
    const error = await refusal(pay({ seq: 3, cum: "750000" }));
    expect(error.code).toBe("seq_out_of_order");
    expect(error.details).toEqual({ seq: 1, cum: "250000" });
  });

  it.each([
    ["origin_mismatch", { org: "https://evil.example" }],
    ["offer_unknown", { off: "no-such-offer" }],
    ["offer_unknown", { res: "mars-rover" }],
    ["price_mismatch", { amt: "1", cum: "1" }],
    ["receipt_stale", { iat: now() - 400 }],
    ["cum_mismatch", { cum: "300000" }],
    ["merchant_mismatch", { aud: "other-news" }],
  ] as const)("refuses with %s", async (code, overrides) => {
    expect((await refusal(pay(overrides))).code).toBe(code);
    expect(await client.tabState(tab.claims.sub)).toEqual({ seq: 0, cum: 0n, limit: 0n });
  });

  it("refuses a receipt past the tab's limit (tab_limit_exceeded)", async () => {
    const small = await buildTab(issuerKey, { lim: "300000" });
    await pay({}, small);
    const error = await refusal(pay({ seq: 2, cum: "500000" }, small));
    expect(error.code).toBe("tab_limit_exceeded");
  });

  it("refuses a certificate in another currency (currency_mismatch)", async () => {
    const euro = await buildTab(issuerKey, { cur: "EUR" });
    expect((await refusal(pay({}, euro))).code).toBe("currency_mismatch");
  });

  it("refuses a certificate for another merchant (merchant_mismatch)", async () => {
    const other = await buildTab(issuerKey, { aud: "other-news" });
    expect((await refusal(pay({ aud: "daily-planet" }, other))).code).toBe("merchant_mismatch");
  });

  it("refuses a certificate from an untrusted issuer key (token_key_unknown)", async () => {
    const rogue = await buildTab(await testKey());
    expect((await refusal(pay({}, rogue))).code).toBe("token_key_unknown");
  });

  it("refuses a receipt not signed by the tab key (receipt_key_mismatch)", async () => {
    const receipt = await buildReceipt(tab, {}, await testKey());
    const error = await refusal(client.unlock({ certificate: tab.certificate, receipt }));
    expect(error.code).toBe("receipt_key_mismatch");
  });

  it("keeps the highest-limit certificate; a lower one changes nothing", async () => {
    await pay();
    const raised = await buildTab(issuerKey, { sub: tab.claims.sub, lim: "9000000" }, tab.tabKey);
    await pay({ seq: 2, cum: "500000" }, raised);
    const lower = await buildTab(issuerKey, { sub: tab.claims.sub, lim: "1000000" }, tab.tabKey);
    await pay({ seq: 3, cum: "750000" }, lower);
    expect(await client.tabState(tab.claims.sub)).toEqual({
      seq: 3,
      cum: 750000n,
      limit: 9000000n,
    });
  });

  it("opens content with a grant, and a pass opens every resource in its scope", async () => {
    const unlocked = await pay();
    expect((await client.access(unlocked.grant, "moon-landing")).content).toContain("Eagle");
    expect((await refusal(client.access(unlocked.grant, "mars-rover"))).code).toBe("grant_invalid");

    const pass = await pay({
      seq: 2,
      cum: "1250000",
      res: "news",
      off: "day-pass",
      amt: "1000000",
    });
    expect(pass.scope).toBe("news");
    expect(pass.content).toBeUndefined();
    expect((await client.access(pass.grant, "mars-rover")).content).toContain("Mars");
  });

  it("refuses a forged grant (grant_invalid)", async () => {
    const forged = await buildReceipt(tab);
    expect((await refusal(client.access(forged, "moon-landing"))).code).toBe("grant_invalid");
  });

  it("concurrent unlocks on one tab accept each seq once and never pass the limit", async () => {
    const limited = await buildTab(issuerKey, { lim: "10000000" });
    const clients = [0, 1, 2, 3].map(() => new MerchantClient(merchant.url));
    // Four wallets race with their own receipt for each of seq 1..50: 200 unlocks. Each
    // resends what the merchant refused as out of order until every receipt has an answer.
    // One clock reading keeps the wallets' payloads distinct (iat - k).
    const iat = now();
    let remaining = await Promise.all(
      clients.flatMap((_c, k) =>
        Array.from({ length: 50 }, async (_x, i) => ({
          k,
          seq: i + 1,
          receipt: await buildReceipt(limited, {
            seq: i + 1,
            cum: String(250000 * (i + 1)),
            iat: iat - k,
          }),
        })),
      ),
    );
    const accepted = new Map<number, number>();
    // Past the limit (seq 41) the rest stay out of order for good: stop when a round of
    // resends accepts nothing more.
    let progressed = true;
    while (progressed) {
      const before = accepted.size;
      const results = await Promise.all(
        remaining.map(async (r) => {
          const c = clients[r.k] ?? new MerchantClient(merchant.url);
          const outcome = await c
            .unlock({ certificate: limited.certificate, receipt: r.receipt })
            .then(
              () => "accepted",
              (e: unknown) => (e instanceof OpenTabError ? e.code : "unknown"),
            );
          return { r, outcome };
        }),
      );
      for (const { r, outcome } of results) {
        if (outcome === "accepted") accepted.set(r.seq, (accepted.get(r.seq) ?? 0) + 1);
        else expect(["seq_out_of_order", "seq_reused", "tab_limit_exceeded"]).toContain(outcome);
      }
      remaining = results.filter((x) => x.outcome === "seq_out_of_order").map((x) => x.r);
      progressed = accepted.size > before;
    }
    expect(remaining.every((r) => r.seq > 41)).toBe(true);
    expect([...accepted.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_x, i) => i + 1),
    );
    expect([...accepted.values()].every((n) => n === 1)).toBe(true);
    expect(await client.tabState(limited.claims.sub)).toEqual({
      seq: 40,
      cum: 10000000n,
      limit: 10000000n,
    });
  });

  it("answers 503 and grants nothing while the issuer's keys cannot be refreshed", async () => {
    jwks.failing = true;
    const dir = tempDir();
    const issuer = { url: jwks.url, trustedKeys: [issuerKey.kid] };
    const blind = await startMerchant(testConfig(dir, await storeConfig(kind, dir), issuer));
    try {
      const health = await fetch(`${blind.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ ok: false, issuer_keys: "unavailable" });
      const receipt = await buildReceipt(tab);
      const reply = await postJson(`${blind.url}/v1/unlock`, {
        certificate: tab.certificate,
        receipt,
      });
      expect(reply.status).toBe(503);
      expect(reply.body).toMatchObject({ error: { code: "issuer_keys_unavailable" } });
    } finally {
      await blind.close();
    }
  });

  it("refuses bad bodies with a code: invalid_json, unsupported_media_type, body_too_large", async () => {
    const send = (body: string, type = "application/json") =>
      fetch(`${merchant.url}/v1/unlock`, {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
    const codes = async (r: Response) =>
      ((await r.json()) as { error: { code: string } }).error.code;
    expect(await codes(await send("{"))).toBe("invalid_json");
    expect(await codes(await send("{}", "text/plain"))).toBe("unsupported_media_type");
    expect(await codes(await send(JSON.stringify({ x: "a".repeat(70_000) })))).toBe(
      "body_too_large",
    );
    expect(await codes(await send("{}"))).toBe("invalid_body");
  });

  it("lets the configured origins call it across origins, with the payment header", async () => {
    const preflight = await fetch(`${merchant.url}/v1/unlock`, {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("OpenTab-Payment");
  });
});
