import { codeOf } from "../../test/support/codes";
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Demo } from "../../demo/start";
import { MerchantClient } from "../../merchant-server/client";
import { fundedWallet, startTestDemo, type TestWallet } from "../test/harness";
import { systemClock } from "./ports";

let demo: Demo;
beforeAll(async () => {
  demo = await startTestDemo();
});
afterAll(() => demo.stop());

const pay = (w: TestWallet, resource: string) =>
  w.services.payments.pay({
    origin: demo.news.origin,
    merchant: demo.news.merchant,
    resource,
    offer: resource,
  });

const merchantState = async (w: TestWallet) => {
  const [tab] = await w.db.tabs.toArray();
  return new MerchantClient(demo.news.origin).tabState(tab?.tab ?? "");
};

describe("a receipt whose answer was lost", () => {
  it("completes after a worker restart when the merchant had accepted it", async () => {
    const w = await fundedWallet(demo);
    w.merchants.loss = "after";
    expect(await codeOf(pay(w, "moon-landing"))).toBe("merchant_unavailable");
    expect((await w.db.receipts.toArray())[0]?.status).toBe("pending");

    const restarted = w.restart();
    expect(await restarted.services.pending.all()).toBe(0);

    const [receipt] = await restarted.db.receipts.toArray();
    expect(receipt).toMatchObject({ seq: 1, status: "accepted" });
    const grant = await restarted.services.payments.lookup(
      demo.news.origin,
      demo.news.merchant,
      "moon-landing",
    );
    expect(grant).toBeDefined();
    expect(await merchantState(restarted)).toMatchObject({ seq: 1, cum: 250_000n });
  });

  it("re-presents the same receipt before signing a new one on that tab", async () => {
    const w = await fundedWallet(demo);
    w.merchants.loss = "before";
    expect(await codeOf(pay(w, "moon-landing"))).toBe("merchant_unavailable");
    const [lost] = await w.db.receipts.toArray();

    w.merchants.loss = "none";
    await pay(w, "harbour-bridge");

    const receipts = (await w.db.receipts.toArray()).sort((a, b) => a.seq - b.seq);
    expect(receipts.map((r) => [r.seq, r.status])).toEqual([
      [1, "accepted"],
      [2, "accepted"],
    ]);
    expect(receipts[0]?.token).toBe(lost?.token);
    expect(await merchantState(w)).toMatchObject({ seq: 2, cum: 450_000n });
  });

  it("rolls back a reservation the worker never signed before it stopped", async () => {
    const w = await fundedWallet(demo);
    await pay(w, "moon-landing");
    const [tab] = await w.db.tabs.toArray();
    const purchase = {
      origin: demo.news.origin,
      resource: "harbour-bridge",
      target: "harbour-bridge",
      offer: "harbour-bridge",
      title: "unsigned",
      amount: 200_000n,
    };
    await w.services.receipts.reserve(tab?.tab ?? "", purchase, {
      currency: "USD",
      cap: 10n ** 9n,
    });

    const restarted = w.restart();
    await restarted.services.pending.all();

    expect(await restarted.db.receipts.count()).toBe(1);
    expect(await restarted.db.tabs.get(tab?.tab ?? "")).toMatchObject({ seq: 1, cum: 250_000n });
  });
});

describe("a definite refusal", () => {
  it("rolls the reservation back so the next receipt reuses the seq (receipt_stale)", async () => {
    const tenMinutesAgo = () => systemClock() - 600;
    const w = await fundedWallet(demo, 10_000_000n, tenMinutesAgo);

    expect(await codeOf(pay(w, "moon-landing"))).toBe("receipt_stale");
    expect(await w.db.receipts.count()).toBe(0);
    const [tab] = await w.db.tabs.toArray();
    expect(tab).toMatchObject({ seq: 0, cum: 0n });

    const restarted = w.restart();
    await restarted.services.payments.pay({
      origin: demo.news.origin,
      merchant: demo.news.merchant,
      resource: "moon-landing",
      offer: "moon-landing",
    });
    expect(await restarted.db.receipts.toArray()).toMatchObject([{ seq: 1, status: "accepted" }]);
  });
});
