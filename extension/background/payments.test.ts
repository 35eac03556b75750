import { codeOf } from "../../test/support/codes";
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Demo } from "../../demo/start";
import { fundedWallet, startTestDemo, type TestWallet } from "../test/harness";

let demo: Demo;
beforeAll(async () => {
  demo = await startTestDemo();
});
afterAll(() => demo.stop());

const news = () => demo.news;
const pay = (w: TestWallet, resource: string, offer = resource, origin = news().origin) =>
  w.services.payments.pay({ origin, merchant: news().merchant, resource, offer });

async function spent(w: TestWallet): Promise<bigint> {
  const statement = await w.services.wallet.statement();
  const usd = statement.balances.find((b) => b.currency === "USD");
  return usd ? 10_000_000n - usd.available : -1n;
}

describe("paying for an article", () => {
  it("asks in the approval window, then pays with a receipt the merchant accepts", async () => {
    const w = await fundedWallet(demo);
    const paid = await pay(w, "moon-landing");

    expect(paid.charged).toBe(250_000n);
    expect(paid.grant.split(".")).toHaveLength(3);
    expect(w.windows.opened).toHaveLength(1);
    const [receipt] = await w.db.receipts.toArray();
    expect(receipt).toMatchObject({ seq: 1, cum: 250_000n, status: "accepted" });
  });

  it("presents the held grant again and charges nothing on a reload", async () => {
    const w = await fundedWallet(demo);
    const first = await pay(w, "moon-landing");
    const again = await pay(w, "moon-landing");
    const lookedUp = await w.services.payments.lookup(
      news().origin,
      news().merchant,
      "moon-landing",
    );

    expect(again).toEqual({ grant: first.grant, charged: 0n });
    expect(lookedUp).toBe(first.grant);
    expect(w.windows.opened).toHaveLength(1);
    expect(await w.db.receipts.count()).toBe(1);
  });

  it("opens another article under a held day pass without a prompt or a charge", async () => {
    const w = await fundedWallet(demo, 5_000_000n);
    const pass = await pay(w, "moon-landing", "day-pass");
    const other = await pay(w, "harbour-bridge");

    expect(pass.charged).toBe(1_000_000n);
    expect(other).toEqual({ grant: pass.grant, charged: 0n });
    expect(w.windows.opened).toHaveLength(1);
  });

  it("refuses a page whose origin is not the merchant's (origin_mismatch) and charges nothing", async () => {
    const w = await fundedWallet(demo);
    const code = await codeOf(pay(w, "moon-landing", "moon-landing", demo.second.origin));

    expect(code).toBe("origin_mismatch");
    expect(w.windows.opened).toHaveLength(0);
    expect(await w.db.tabs.count()).toBe(0);
  });

  it("charges nothing when the reader declines (payment_declined)", async () => {
    const w = await fundedWallet(demo);
    w.windows.answer = "decline";

    expect(await codeOf(pay(w, "moon-landing"))).toBe("payment_declined");
    expect(await w.db.receipts.count()).toBe(0);
  });
});

describe("tabs and limits", () => {
  it("raises the tab's limit when a payment would pass it, on the same tab", async () => {
    const w = await fundedWallet(demo);
    await w.services.settings.save({
      issuer: demo.issuer.url,
      defaultTabLimit: 400_000n,
      dailyCap: 20_000_000n,
    });
    await pay(w, "moon-landing");
    await pay(w, "chess-prodigy");

    const tabs = await w.db.tabs.toArray();
    expect(tabs).toHaveLength(1);
    expect(tabs[0]).toMatchObject({ seq: 2, cum: 550_000n, limit: 800_000n });
  });

  it("pays concurrent unlocks on one tab with distinct seq and never past the limit", async () => {
    const w = await fundedWallet(demo);
    await w.services.settings.saveRule(news().merchant, 1_000_000n, 5_000_000n);
    const articles = ["moon-landing", "harbour-bridge", "night-market", "chess-prodigy"];

    const paid = await Promise.all(articles.map((a) => pay(w, a)));

    const receipts = (await w.db.receipts.toArray()).sort((a, b) => a.seq - b.seq);
    expect(receipts.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(new Set(paid.map((p) => p.grant)).size).toBe(4);
    const [tab] = await w.db.tabs.toArray();
    expect(tab?.cum).toBe(900_000n);
    expect(tab && tab.cum <= tab.limit).toBe(true);
    expect(w.windows.opened).toHaveLength(0);
    expect(await spent(w)).toBe(tab?.limit);
  });
});

describe("rules and caps", () => {
  it("auto-pays under an 'always allow up to' answered in the approval window", async () => {
    const w = await fundedWallet(demo);
    w.windows.answer = { allowUpTo: 300_000n };
    await pay(w, "moon-landing");
    await pay(w, "harbour-bridge");

    expect(w.windows.opened).toHaveLength(1);
    expect(await w.services.settings.rule(news().merchant)).toMatchObject({ perItem: 300_000n });
  });

  it("stops at the global daily cap even when the reader would approve (daily_cap_reached)", async () => {
    const w = await fundedWallet(demo);
    await w.services.settings.save({
      issuer: demo.issuer.url,
      defaultTabLimit: 1_000_000n,
      dailyCap: 400_000n,
    });
    await pay(w, "moon-landing");

    expect(await codeOf(pay(w, "chess-prodigy"))).toBe("daily_cap_reached");
    expect(await w.db.receipts.count()).toBe(1);
  });
});
