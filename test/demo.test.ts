import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Demo, startDemo } from "../demo/start";
import { ensureSnippetBuilt } from "../merchant-server/snippet/build";

/** The demo over real HTTP on random loopback ports, as the end-to-end tests will start it. */

const RANDOM = { issuer: 0, news: 0, second: 0 };

function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect({
      host: hostname === "localhost" ? "127.0.0.1" : hostname,
      port: +port,
    });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

const json = async (url: string): Promise<Record<string, unknown>> => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.json();
};

describe("npm start (startDemo)", () => {
  let dir: string;
  let demo: Demo;

  beforeAll(async () => {
    // The merchant servers serve dist/snippet/snippet.js, which `npm run build` writes.
    await ensureSnippetBuilt();
    dir = mkdtempSync(join(tmpdir(), "opentab-demo-"));
    demo = await startDemo({ dataDir: dir, ports: RANDOM });
  });

  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers both merchants at the issuer with their own origins", async () => {
    for (const site of [demo.news, demo.second]) {
      const record = await json(`${demo.issuer.url}/v1/merchants/${site.merchant}`);
      expect(record).toMatchObject({
        id: site.merchant,
        origins: [site.origin],
        server: site.origin,
      });
    }
    expect(demo.news.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(demo.second.origin).toMatch(/^http:\/\/localhost:\d+$/);
  });

  it("serves each site's pages, with the snippet tag and a protected block, and the snippet", async () => {
    for (const site of [demo.news, demo.second]) {
      const [resource, url] = Object.entries(site.articles)[0] ?? [];
      const page = await fetch(url ?? "");
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<script src="/snippet.js"');
      expect(html).toContain(`data-opentab-resource="${resource}"`);
      expect((await fetch(`${site.origin}/`)).status).toBe(200);

      const snippet = await fetch(`${site.origin}/snippet.js`);
      expect(snippet.status).toBe(200);
      expect(snippet.headers.get("content-type")).toMatch(/javascript/);
    }
  });

  it("lists an article's unlock and the 24-hour pass as offers", async () => {
    const reply = await json(`${demo.news.origin}/v1/offers?resource=moon-landing`);
    expect(reply).toMatchObject({
      merchant: "daily-planet",
      offers: [
        { id: "moon-landing", kind: "unlock", price: "250000", currency: "USD" },
        { id: demo.news.passOffer, kind: "pass", duration_s: 86_400 },
      ],
    });
  });

  it("answers the paid API route with 402 and its offers (payment_required)", async () => {
    const response = await fetch(demo.second.api?.url ?? "");
    expect(response.status).toBe(402);
    expect(response.headers.get("www-authenticate")).toMatch(/^OpenTab merchant="field-notes"/);
    expect(await response.json()).toMatchObject({
      error: { code: "payment_required" },
      merchant: "field-notes",
      resource: "quote",
      offers: [{ id: "quote", kind: "api", price: "10000" }],
    });
  });

  it("restarts on the same data directory and ports: the merchants stay registered", async () => {
    const ports = {
      issuer: +new URL(demo.issuer.url).port,
      news: +new URL(demo.news.origin).port,
      second: +new URL(demo.second.origin).port,
    };
    await demo.stop();
    demo = await startDemo({ dataDir: dir, ports });
    const record = await json(`${demo.issuer.url}/v1/merchants/field-notes`);
    expect(record).toMatchObject({ origins: [demo.second.origin] });
  });

  it("refuses to start on other site ports with a data directory registered elsewhere (merchant_exists)", async () => {
    await demo.stop();
    const attempt = startDemo({ dataDir: dir, ports: RANDOM });
    await expect(attempt).rejects.toMatchObject({ code: "merchant_exists" });
  });

  it("stop() leaves no port listening", async () => {
    demo = await startDemo({ dataDir: mkdtempSync(join(dir, "again-")), ports: RANDOM });
    const urls = [demo.issuer.url, demo.news.origin, demo.second.origin];
    expect(await Promise.all(urls.map(portOpen))).toEqual([true, true, true]);
    await demo.stop();
    expect(await Promise.all(urls.map(portOpen))).toEqual([false, false, false]);
  });
});
