import { describe, expect, it } from "vitest";
import { startBridge } from "./bridge";

const ORIGIN = "https://news.example";

class FakeWindow extends EventTarget {
  readonly posted: unknown[] = [];
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
}

function deliver(win: FakeWindow, data: unknown, origin = ORIGIN, source: unknown = win): void {
  const event = new MessageEvent("message", { data, origin });
  Object.defineProperty(event, "source", { value: source });
  win.dispatchEvent(event);
}

function bridged(answer: (message: unknown) => Promise<unknown>) {
  const win = new FakeWindow();
  const sent: unknown[] = [];
  startBridge({
    window: win,
    origin: ORIGIN,
    send: (message) => {
      sent.push(message);
      return answer(message);
    },
  });
  return { win, sent };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const lookup = { opentab: 1, id: "r1", type: "lookup", merchant: "daily-planet", resource: "moon" };

describe("content script bridge", () => {
  it("forwards a valid request and answers with the same id", async () => {
    const { win, sent } = bridged(async () => ({ ok: true, data: { type: "lookup", grant: "g" } }));
    deliver(win, lookup);
    await settle();

    expect(sent).toEqual([{ type: "page.lookup", merchant: "daily-planet", resource: "moon" }]);
    expect(win.posted).toEqual([{ opentab: 1, id: "r1", type: "lookup", grant: "g" }]);
  });

  it("ignores messages from another window, another origin, or of the wrong shape", async () => {
    const { win, sent } = bridged(async () => ({ ok: true, data: { type: "hello", version: 1 } }));
    deliver(win, lookup, ORIGIN, new FakeWindow());
    deliver(win, lookup, "https://evil.example");
    deliver(win, { ...lookup, merchant: "Bad Id" });
    deliver(win, { opentab: 1, id: "r1", type: "lookup", grant: "echo of a reply" });
    await settle();

    expect(sent).toEqual([]);
    expect(win.posted).toEqual([]);
  });

  it("passes a refusal's code to the page and nothing more", async () => {
    const { win } = bridged(async () => ({
      ok: false,
      error: { code: "origin_mismatch", message: "not this site" },
    }));
    deliver(win, { ...lookup, type: "pay", offer: "moon" });
    await settle();

    expect(win.posted).toEqual([
      { opentab: 1, id: "r1", type: "error", code: "origin_mismatch", message: "not this site" },
    ]);
  });

  it("never lets fields other than the reply's own reach the page", async () => {
    const { win } = bridged(async () => ({
      ok: true,
      data: { type: "paid", grant: "g", charged: "250000", receipt: "secret" },
    }));
    deliver(win, { ...lookup, type: "pay", offer: "moon" });
    await settle();

    expect(win.posted).toEqual([
      {
        opentab: 1,
        id: "r1",
        type: "error",
        code: "wallet_not_ready",
        message: expect.any(String),
      },
    ]);
  });

  it("tells the page when the wallet does not answer (wallet_not_ready)", async () => {
    const { win } = bridged(() => Promise.reject(new Error("receiving end does not exist")));
    deliver(win, { opentab: 1, id: "h", type: "hello" });
    await settle();

    expect(win.posted).toMatchObject([{ id: "h", type: "error", code: "wallet_not_ready" }]);
  });
});
