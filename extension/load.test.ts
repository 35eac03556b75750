import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS } from "../test/e2e/harness/browser";

/**
 * Smoke test of the built extension in Debian's Chromium: it loads, its service worker starts,
 * and an extension page reaches the worker. On CI a missing Chromium is a failure, not a skip.
 */

const CHROMIUM = "/usr/bin/chromium";
const EXTENSION = resolve("dist/extension");
const ci = Boolean(process.env.CI);
const canRun = existsSync(CHROMIUM);

describe.skipIf(!canRun && !ci)("the built extension in Chromium", () => {
  let context: BrowserContext | undefined;
  let profile = "";

  beforeAll(async () => {
    if (!canRun) throw new Error(`Chromium is missing at ${CHROMIUM} (apt-get install chromium)`);
    if (!existsSync(join(EXTENSION, "manifest.json"))) {
      throw new Error(`no built extension in ${EXTENSION}: run npm run build first`);
    }
    profile = mkdtempSync(join(tmpdir(), "opentab-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        ...CHROMIUM_ARGS,
        `--disable-extensions-except=${EXTENSION}`,
        `--load-extension=${EXTENSION}`,
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const worker = async () => {
    if (!context) throw new Error("Chromium did not start");
    return context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker"));
  };

  it("starts the wallet's service worker", async () => {
    const sw = await worker();
    expect(sw.url()).toMatch(/^chrome-extension:\/\/[a-p]{32}\/service-worker-loader\.js$/);
  });

  it("serves the onboarding page, which reaches the worker and offers to create a wallet", async () => {
    const id = new URL((await worker()).url()).host;
    const page = await context?.newPage();
    if (!page) throw new Error("no page");
    await page.goto(`chrome-extension://${id}/extension/onboarding/index.html`);

    await expect
      .poll(() => page.getByTestId("create-wallet").isVisible(), { timeout: 10_000 })
      .toBe(true);
    expect(await page.getByTestId("issuer-url").textContent()).toBe("http://127.0.0.1:4100");
  });
});
