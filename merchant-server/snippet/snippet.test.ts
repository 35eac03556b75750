import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Demo, startDemo } from "../../demo/start";
import { IssuerClient } from "../../issuer/client";
import { generateSigningKey } from "../../shared/keys";
import { signToken } from "../../shared/tokens/sign";
import { MerchantClient } from "../client";
import { ensureSnippetBuilt, gzipSize, SNIPPET_BUDGET_GZIP, SNIPPET_FILE } from "./build";

/**
 * The built snippet in Chromium against the real demo servers. The wallet is a stand-in that
 * answers the §6 messages on the page's window with grants bought over real HTTP beforehand,
 * so this checks the snippet, not the extension (the end-to-end tests do that).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`Chromium is missing at ${CHROMIUM}`);

type WalletReply = Record<string, unknown>;
interface FakeWallet {
  held: Record<string, string>;
  pay?: WalletReply;
}

/** Runs in the page: answers hello, lookup and pay as the content script would. */
function installFakeWallet({ held, pay }: FakeWallet): void {
  const asked: unknown[] = [];
  Object.assign(window, { walletAsked: asked });
  addEventListener("message", (event: MessageEvent) => {
    const m = event.data;
    if (typeof m !== "object" || m === null || m.opentab !== 1) return;
    const reply = (body: WalletReply) =>
      postMessage({ opentab: 1, id: m.id, ...body }, location.origin);
    if (m.type === "hello" && m.version === undefined) reply({ type: "hello", version: 1 });
    if (m.type === "lookup" && "merchant" in m) {
      asked.push(m);
      reply(held[m.resource] ? { type: "lookup", grant: held[m.resource] } : { type: "lookup" });
    }
    if (m.type === "pay") {
      asked.push(m);
      if (pay) reply(pay);
    }
  });
}

const twoBlocks = `<!doctype html><html><head><script src="/snippet.js" defer></script></head>
<body><div data-opentab-resource="moon-landing"><p>teaser one</p></div>
<div data-opentab-resource="night-market"><p>teaser two</p></div></body></html>`;

describe("publisher snippet in Chromium", { skip: !haveChromium }, () => {
  let dir: string;
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  let passGrant: string;
  let unlockGrant: string;

  /** Buys the 24-hour pass and one article with a real tab, as the wallet would. */
  async function buyGrants(): Promise<void> {
    const issuer = new IssuerClient(demo.issuer.url);
    const identity = await generateSigningKey(true);
    const { wallet } = await issuer.register(identity);
    const auth = { wallet, key: identity };
    await issuer.topUp(auth, 5_000_000n, "USD");
    const tabKey = await generateSigningKey(true);
    const merchant = "daily-planet";
    const tab = await issuer.openTab(auth, {
      merchant,
      key: tabKey.publicJwk,
      limit: 2_000_000n,
      currency: "USD",
    });
    const shop = new MerchantClient(demo.news.origin);
    const pay = async (seq: number, res: string, off: string, amt: string, cum: string) => {
      const iat = Math.floor(Date.now() / 1000);
      const claims = { aud: merchant, tab: tab.tab, seq, amt, cum, org: demo.news.origin };
      const receipt = await signToken(
        "receipt",
        { ...claims, res, off, iat, exp: tab.expiresAt },
        tabKey,
      );
      return (await shop.unlock({ certificate: tab.certificate, receipt })).grant;
    };
    unlockGrant = await pay(1, "moon-landing", "moon-landing", "250000", "250000");
    passGrant = await pay(2, "daily-planet-all", "day-pass", "1000000", "1250000");
  }

  const open = async (wallet: FakeWallet | undefined, path = "/moon-landing.html") => {
    if (wallet) await page.addInitScript(installFakeWallet, wallet);
    await page.goto(`${demo.news.origin}${path}`);
  };
  const block = (resource = "moon-landing") =>
    page.locator(`[data-opentab-resource="${resource}"]`);
  const settled = (resource = "moon-landing") =>
    page.waitForSelector(
      `[data-opentab-resource="${resource}"]:is([data-opentab-state=locked],[data-opentab-state=unlocked],[data-opentab-state=error])`,
    );

  beforeAll(async () => {
    await ensureSnippetBuilt();
    dir = mkdtempSync(join(tmpdir(), "opentab-snippet-"));
    demo = await startDemo({ dataDir: dir, ports: { issuer: 0, news: 0, second: 0 } });
    await buyGrants();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    const context = await browser.newContext();
    page = await context.newPage();
    await page.route(`${demo.news.origin}/two-blocks.html`, (route) =>
      route.fulfill({ contentType: "text/html", body: twoBlocks }),
    );
    return () => context.close();
  });

  it("stays within its gzip budget", () => {
    const size = gzipSize(readFileSync(SNIPPET_FILE));
    expect(size).toBeLessThanOrEqual(SNIPPET_BUDGET_GZIP);
  });

  it("without the wallet, shows the offers and the way to the wallet, never the content", async () => {
    await open(undefined);
    await settled();
    const offers = block().locator(".opentab-offer");
    expect(await offers.allTextContents()).toEqual([
      "A second look at the first landing · 0.25 USD",
      "24-hour pass · 1.00 USD",
    ]);
    expect(await block().getAttribute("data-opentab-state")).toBe("locked");
    const link = block().getByRole("link", { name: "Get the OpenTab wallet" });
    expect(await link.getAttribute("href")).toBe("/wallet.html");
    await offers.first().click();
    await expect.poll(() => block().getByRole("status").textContent()).toContain("wallet");
    expect(await page.content()).not.toContain("forty seconds");
  });

  it("presents a held grant first: the content replaces the teaser without a payment", async () => {
    await open({ held: { "moon-landing": unlockGrant } });
    await settled();
    expect(await block().getAttribute("data-opentab-state")).toBe("unlocked");
    expect(await block().textContent()).toContain("forty seconds");
    const asked = await page.evaluate(() => Reflect.get(window, "walletAsked"));
    expect(asked).toEqual([expect.objectContaining({ type: "lookup", merchant: "daily-planet" })]);
  });

  it("pays on click and opens every block the bought pass covers", async () => {
    await open(
      { held: {}, pay: { type: "paid", grant: passGrant, charged: "1000000" } },
      "/two-blocks.html",
    );
    await settled();
    await block()
      .getByRole("button", { name: /24-hour pass/ })
      .click();
    await settled("night-market");
    await page.waitForSelector(
      '[data-opentab-resource="night-market"][data-opentab-state=unlocked]',
    );
    expect(await block().textContent()).toContain("forty seconds");
    expect(await block("night-market").textContent()).toContain("one bowl every forty seconds");
    const asked = await page.evaluate(() => Reflect.get(window, "walletAsked"));
    expect(asked).toContainEqual(
      expect.objectContaining({ type: "pay", resource: "moon-landing", offer: "day-pass" }),
    );
  });

  it("tells the reader a payment was declined and keeps the teaser (payment_declined)", async () => {
    const declined = { type: "error", code: "payment_declined", message: "declined" };
    await open({ held: {}, pay: declined });
    await settled();
    await block()
      .getByRole("button", { name: /first landing/ })
      .click();
    await page.waitForSelector('[data-opentab-error="payment_declined"]');
    expect(await block().getByRole("status").textContent()).toBe(
      "Payment declined. Nothing was charged.",
    );
    expect(await block().getAttribute("data-opentab-state")).toBe("locked");
    expect(await block().textContent()).toContain("Fifty-odd years on");
  });

  it("says the payment service is unavailable when its merchant server is down (merchant_unavailable)", async () => {
    const dead = "http://127.0.0.1:9";
    await page.route(`${dead}/snippet.js`, (route) =>
      route.fulfill({ contentType: "text/javascript", path: SNIPPET_FILE }),
    );
    await page.route(`${demo.news.origin}/down.html`, (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<script src="${dead}/snippet.js" defer></script><div data-opentab-resource="x"><p>t</p></div>`,
      }),
    );
    await open(undefined, "/down.html");
    await page.waitForSelector(
      '[data-opentab-state="error"][data-opentab-error="merchant_unavailable"]',
    );
    expect(await page.getByRole("status").textContent()).toContain("unavailable");
  });
});
