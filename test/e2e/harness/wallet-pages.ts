import { readFile } from "node:fs/promises";
import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";
import type { WalletBrowser } from "./browser";

/**
 * Page objects for the extension's own pages, driven only through what a reader sees and
 * clicks (the data-testid hooks of the extension's UI).
 */

/** How long a page may take to show the worker's answer (vitest polls for 1 s by default). */
const EVENTUALLY = { timeout: 15_000 };

/** Waits until a locator's text satisfies `match`, then returns the text. */
export async function textOf(locator: Locator, match: RegExp): Promise<string> {
  await expect.poll(async () => (await locator.textContent()) ?? "", EVENTUALLY).toMatch(match);
  return (await locator.textContent()) ?? "";
}

async function fill(page: Page, id: string, value: string): Promise<void> {
  await page.getByTestId(id).fill(value);
}

export class OptionsPage {
  private constructor(readonly page: Page) {}

  static async open(browser: WalletBrowser): Promise<OptionsPage> {
    const page = await browser.open(browser.url("options/index.html"));
    await page.getByTestId("save-settings").waitFor();
    return new OptionsPage(page);
  }

  /** Saves the wallet settings; amounts are decimals as a reader types them ("3.00"). */
  async saveSettings(s: { issuer: string; tabLimit: string; dailyCap: string }): Promise<void> {
    await fill(this.page, "issuer-url", s.issuer);
    await fill(this.page, "tab-limit", s.tabLimit);
    await fill(this.page, "daily-cap", s.dailyCap);
    await this.page.getByTestId("save-settings").click();
    // The page shows no "saved" mark, so wait until a fresh load reads the issuer back.
    await expect
      .poll(async () => {
        await this.page.reload();
        return this.page.getByTestId("issuer-url").inputValue();
      }, EVENTUALLY)
      .toBe(s.issuer);
  }

  async addRule(merchant: string, perItem: string, perDay: string): Promise<string> {
    await fill(this.page, "rule-merchant", merchant);
    await fill(this.page, "rule-per-item", perItem);
    await fill(this.page, "rule-per-day", perDay);
    await this.page.getByTestId("add-rule").click();
    return textOf(this.page.getByTestId(`rule-${merchant}`), /auto-pay up to/);
  }

  /** The history as the reader exports it: one record per unlock, keyed by the CSV header. */
  async exportHistory(): Promise<Record<string, string>[]> {
    await this.page.reload();
    await this.page.getByTestId("export-csv").waitFor();
    await expect.poll(() => this.page.getByTestId("export-csv").isEnabled(), EVENTUALLY).toBe(true);
    const [download] = await Promise.all([
      this.page.waitForEvent("download"),
      this.page.getByTestId("export-csv").click(),
    ]);
    const path = await download.path();
    return parseCsv(await readFile(path, "utf8"));
  }
}

/** The extension's CSV: every cell quoted, CRLF between lines, the header first. */
function parseCsv(text: string): Record<string, string>[] {
  const rows = text
    .split("\r\n")
    .filter((line) => line !== "")
    .map((line) =>
      [...line.matchAll(/"((?:[^"]|"")*)"|([^,]+)/g)].map((m) =>
        m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] ?? ""),
      ),
    );
  const [header = [], ...records] = rows;
  return records.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
}

export class OnboardingPage {
  private constructor(readonly page: Page) {}

  static async open(browser: WalletBrowser): Promise<OnboardingPage> {
    const page = await browser.open(browser.url("onboarding/index.html"));
    await page.getByTestId("issuer-url").waitFor();
    return new OnboardingPage(page);
  }

  /** Creates the wallet, confirms the recovery code by its last 4 characters, returns it. */
  async createWallet(): Promise<string> {
    await this.page.getByTestId("create-wallet").click();
    return this.confirmRecovery();
  }

  async restoreWallet(code: string): Promise<string> {
    await fill(this.page, "restore-code", code);
    await this.page.getByTestId("restore-wallet").click();
    return this.confirmRecovery();
  }

  /** The wallet id the ready page shows. */
  async walletId(): Promise<string> {
    const text = await textOf(this.page.getByTestId("wallet-ready"), /Wallet \S+/);
    return text.match(/Wallet (\S+)/)?.[1] ?? "";
  }

  async addFunds(amount: string): Promise<string> {
    await fill(this.page, "topup-amount", amount);
    await this.page.getByTestId("add-funds").click();
    return textOf(this.page.getByTestId("balance"), /Available: /);
  }

  private async confirmRecovery(): Promise<string> {
    const code = (await this.page.getByTestId("recovery-code").textContent()) ?? "";
    await fill(this.page, "recovery-check", code.slice(-4));
    await this.page.getByTestId("confirm-recovery").click();
    await this.page.getByTestId("wallet-ready").waitFor();
    return code;
  }
}

export interface Balances {
  available: string;
  reserved: string;
  spent: string;
}

export class PopupPage {
  private constructor(readonly page: Page) {}

  /** The popup as opened over `site` (a page URL), or over no site. */
  static async open(browser: WalletBrowser, site?: string): Promise<PopupPage> {
    const query = site ? `?site=${encodeURIComponent(site)}` : "";
    const page = await browser.open(browser.url(`popup/index.html${query}`));
    await page.locator("h1, [role=alert]").first().waitFor();
    return new PopupPage(page);
  }

  async balances(): Promise<Balances> {
    const text = async (id: string) => (await this.page.getByTestId(id).textContent()) ?? "";
    await this.page.getByTestId("balance-available").waitFor();
    return {
      available: amountIn(await text("balance-available")),
      reserved: amountIn(await text("balance-reserved")),
      spent: amountIn(await text("balance-spent")),
    };
  }

  unlocks(): Promise<string[]> {
    return this.page.getByTestId("unlock").allTextContents();
  }

  async siteTab(): Promise<string> {
    return (await this.page.getByTestId("site-tab").textContent()) ?? "";
  }

  sites(): Promise<string[]> {
    return this.page.getByTestId("sites").locator("li").allTextContents();
  }

  async alert(): Promise<string> {
    return (await this.page.getByRole("alert").textContent()) ?? "";
  }

  close(): Promise<void> {
    return this.page.close();
  }
}

/** "10.00 USD test money" → "10.00". */
function amountIn(text: string): string {
  return text.match(/\d+\.\d+/)?.[0] ?? text;
}

export class ApprovalWindow {
  constructor(readonly page: Page) {}

  /** Waits until the request is shown and the buttons can be used. */
  async ready(): Promise<ApprovalWindow> {
    await this.page.getByTestId("approval-item").waitFor();
    await expect.poll(() => this.page.getByTestId("approve").isEnabled(), EVENTUALLY).toBe(true);
    return this;
  }

  async details(): Promise<Record<string, string>> {
    const read = async (id: string) => (await this.page.getByTestId(id).textContent()) ?? "";
    return {
      merchant: await read("approval-merchant"),
      origin: await read("approval-origin"),
      item: await read("approval-item"),
      price: await read("approval-price"),
      balance: await read("approval-balance"),
    };
  }

  /** Approves; the extension closes the window once the worker has the answer. */
  async approve(): Promise<void> {
    const closed = this.page.waitForEvent("close");
    await this.page.getByTestId("approve").click();
    await closed;
  }

  /** Clicks Approve and waits for the window's own error message instead of closing. */
  async approveRefused(): Promise<string> {
    await this.page.getByTestId("approve").click();
    return textOf(this.page.getByRole("alert"), /\(\w+\)/);
  }
}
