import { describe, expect, it } from "vitest";
import type { Runtime, Tabs } from "webextension-polyfill";
import { requestSchemas as m } from "../shared/messages";
import { type Caller, Router, route } from "./router";

const SELF = { id: "wallet-id", base: "chrome-extension://wallet-id/" };

function pageTab(url: string): Tabs.Tab {
  return { index: 0, highlighted: true, active: true, pinned: false, incognito: false, url };
}

function fromPage(url: string, overrides: Partial<Runtime.MessageSender> = {}) {
  return { id: SELF.id, url, tab: pageTab(url), frameId: 0, ...overrides };
}

const fromExtension = { id: SELF.id, url: `${SELF.base}extension/popup/index.html` };

function routerSeeing(callers: Caller[]): Router {
  return new Router(
    {
      "page.hello": route(m["page.hello"], async (_r, caller) => {
        callers.push(caller);
        return { type: "hello", version: 1 };
      }),
      "page.pay": route(m["page.pay"], async (_r, caller) => {
        callers.push(caller);
        return { type: "paid", grant: "g", charged: "1" };
      }),
      "wallet.status": route(m["wallet.status"], async () => ({
        ready: false,
        issuer: "http://127.0.0.1:4100",
        recoveryConfirmed: false,
      })),
    },
    SELF,
  );
}

const pay = { type: "page.pay", merchant: "daily-planet", resource: "moon", offer: "moon" };

describe("runtime message routing", () => {
  it("takes the page origin from the browser's sender, never from the message", async () => {
    const callers: Caller[] = [];
    const router = routerSeeing(callers);

    const claimed = await router.handle(
      { ...pay, origin: "https://evil.example" },
      fromPage("https://news.example/a"),
    );
    const honest = await router.handle(pay, fromPage("https://news.example/a"));

    expect(claimed).toMatchObject({ ok: false, error: { code: "invalid_body" } });
    expect(honest.ok).toBe(true);
    expect(callers).toEqual([{ kind: "page", origin: "https://news.example" }]);
  });

  it("refuses a page message from a sub-frame (origin_mismatch)", async () => {
    const reply = await routerSeeing([]).handle(
      pay,
      fromPage("https://news.example/", { frameId: 3 }),
    );
    expect(reply).toMatchObject({ ok: false, error: { code: "origin_mismatch" } });
  });

  it("refuses a wallet message sent from a web page (origin_mismatch)", async () => {
    const reply = await routerSeeing([]).handle(
      { type: "wallet.status" },
      fromPage("https://x.example/"),
    );
    expect(reply).toMatchObject({ ok: false, error: { code: "origin_mismatch" } });
  });

  it("refuses a page message sent from an extension page (origin_mismatch)", async () => {
    const reply = await routerSeeing([]).handle(pay, fromExtension);
    expect(reply).toMatchObject({ ok: false, error: { code: "origin_mismatch" } });
  });

  it("refuses a message from another extension (origin_mismatch)", async () => {
    const reply = await routerSeeing([]).handle(
      pay,
      fromPage("https://news.example/", { id: "x" }),
    );
    expect(reply).toMatchObject({ ok: false, error: { code: "origin_mismatch" } });
  });

  it("refuses a page that is not on http or https (origin_mismatch)", async () => {
    const reply = await routerSeeing([]).handle(pay, fromPage("file:///tmp/page.html"));
    expect(reply).toMatchObject({ ok: false, error: { code: "origin_mismatch" } });
  });

  it("refuses malformed and unknown messages (invalid_body)", async () => {
    const router = routerSeeing([]);
    const page = fromPage("https://news.example/");
    const replies = await Promise.all([
      router.handle({ ...pay, merchant: "Not A Merchant" }, page),
      router.handle({ type: "page.steal" }, page),
      router.handle("pay", page),
    ]);
    for (const reply of replies) {
      expect(reply).toMatchObject({ ok: false, error: { code: "invalid_body" } });
    }
  });

  it("answers an extension page's own messages", async () => {
    const reply = await routerSeeing([]).handle({ type: "wallet.status" }, fromExtension);
    expect(reply).toMatchObject({ ok: true, data: { ready: false } });
  });
});
