import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { KeyPair } from "../shared/keys";
import { buildReceipt, buildTab, type TabFixture, testKey } from "../test/support/builders";
import { MerchantClient } from "./client";
import { type RunningMerchant, startMerchant } from "./start";
import { STORES, storeConfig, TestJwks, tempDir, testConfig } from "./testing";

const API_ORIGIN = "http://127.0.0.1:4101";

describe.each(STORES)("paid API routes on %s", (kind) => {
  let issuerKey: KeyPair;
  let jwks: TestJwks;
  let merchant: RunningMerchant;
  let tab: TabFixture;
  let failNext = false;
  let runs = 0;
  /** How the handler answers: res.json, or a head and a chunk before its end (or its failure). */
  let answer: "json" | "stream" | "stream-then-fail" | "not-found-slowly" = "json";
  // When set, the handler waits for it: a call can be held running while another arrives.
  let held: { entered: () => void; release: Promise<void> } | undefined;

  beforeAll(async () => {
    issuerKey = await testKey();
    jwks = await new TestJwks([issuerKey]).start();
  });
  afterAll(() => jwks.close());

  beforeEach(async () => {
    const dir = tempDir();
    const issuer = { url: jwks.url, trustedKeys: [issuerKey.kid] };
    merchant = await startMerchant(testConfig(dir, await storeConfig(kind, dir), issuer), {
      apiHandlers: {
        quote: async (_req, res) => {
          runs++;
          if (held) {
            held.entered();
            await held.release;
          }
          if (answer === "not-found-slowly") {
            res.status(404).write("first ");
            await null;
            res.end("second");
            return;
          }
          if (answer !== "json") {
            res.writeHead(200, { "content-type": "text/plain" });
            res.flushHeaders();
            res.write("Ad ");
            if (answer === "stream-then-fail") throw new Error("the quote service went away");
            res.end("astra");
            return;
          }
          if (failNext) res.status(500).json({ error: { code: "internal_error", message: "x" } });
          else res.json({ quote: "Ad astra" });
        },
      },
    });
    tab = await buildTab(issuerKey);
    failNext = false;
    runs = 0;
    held = undefined;
    answer = "json";
  });
  afterEach(() => merchant.close());

  const receipt = (seq: number, cum: string) =>
    buildReceipt(tab, { seq, cum, amt: "10000", res: "quote", off: "quote", org: API_ORIGIN });
  const call = (payment?: string) =>
    fetch(`${merchant.url}/api/quote`, payment ? { headers: { "OpenTab-Payment": payment } } : {});
  const state = () => new MerchantClient(merchant.url).tabState(tab.claims.sub);

  it("answers 402 with a WWW-Authenticate challenge and the route's offers", async () => {
    const response = await call();
    expect(response.status).toBe(402);
    expect(response.headers.get("www-authenticate")).toBe(
      `OpenTab merchant="daily-planet", offers="${merchant.url}/v1/offers?resource=quote"`,
    );
    expect(await response.json()).toMatchObject({
      error: { code: "payment_required" },
      merchant: "daily-planet",
      resource: "quote",
      offers: [{ id: "quote", kind: "api", price: "10000", currency: "USD" }],
    });
  });

  it("lets a paid request through once; the same receipt again buys no second call (seq_reused)", async () => {
    const payment = `${tab.certificate} ${await receipt(1, "10000")}`;
    const first = await call(payment);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ quote: "Ad astra" });
    const again = await call(payment);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "seq_reused" } });
    expect(await state()).toMatchObject({ seq: 1, cum: 10000n });
  });

  it("refuses a receipt whose call is still running (seq_reused) and runs the handler once", async () => {
    const payment = `${tab.certificate} ${await receipt(1, "10000")}`;
    let release = () => {};
    const entered = new Promise<void>((resolve) => {
      held = { entered: resolve, release: new Promise((done) => (release = done)) };
    });
    const first = call(payment);
    await entered;
    const second = await call(payment);
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ error: { code: "seq_reused" } });
    release();
    expect((await first).status).toBe(200);
    expect(runs).toBe(1);
    expect(await state()).toMatchObject({ seq: 1, cum: 10000n });
  });

  it("holds a streamed answer until its receipt is stored, and refuses the loser of a seq race without failing", async () => {
    answer = "stream";
    const [one, other] = await Promise.all([receipt(1, "10000"), receipt(1, "10000")]);
    const answers = await Promise.all([one, other].map((r) => call(`${tab.certificate} ${r}`)));
    const bodies = await Promise.all(answers.map((a) => a.text()));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(bodies).toContain("Ad astra");
    expect(await state()).toMatchObject({ seq: 1, cum: 10000n });
    expect((await call(`${tab.certificate} ${await receipt(2, "20000")}`)).status).toBe(200);
  });

  it("keeps the charge of a handler that fails after it began its answer, and cuts that answer off", async () => {
    answer = "stream-then-fail";
    const answered = call(`${tab.certificate} ${await receipt(1, "10000")}`).then((r) => r.text());
    expect(
      await answered.then(
        () => "whole",
        () => "cut off",
      ),
    ).toBe("cut off");
    // The commit may finish after the connection is cut; nothing else moves the tab meanwhile.
    await expect.poll(state).toMatchObject({ seq: 1, cum: 10000n });
  });

  it("keeps the order of a failing handler's answer across its awaits, and no charge", async () => {
    answer = "not-found-slowly";
    const response = await call(`${tab.certificate} ${await receipt(1, "10000")}`);
    expect([response.status, await response.text()]).toEqual([404, "first second"]);
    expect(await state()).toMatchObject({ seq: 0, cum: 0n });
  });

  it("keeps no charge when the handler fails, so the same seq can pay again", async () => {
    failNext = true;
    expect((await call(`${tab.certificate} ${await receipt(1, "10000")}`)).status).toBe(500);
    expect(await state()).toMatchObject({ seq: 0, cum: 0n });
    failNext = false;
    expect((await call(`${tab.certificate} ${await receipt(1, "10000")}`)).status).toBe(200);
    expect(await state()).toMatchObject({ seq: 1, cum: 10000n });
  });

  it("refuses an unlock receipt on an API route (offer_unknown)", async () => {
    const unlock = await buildReceipt(tab);
    const response = await call(`${tab.certificate} ${unlock}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "offer_unknown" } });
  });

  it("refuses a header that is not two tokens (token_malformed)", async () => {
    const response = await call("just-one-token");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "token_malformed" } });
  });
});
