import type { BrowserContext, Locator, Page } from "playwright-core";

/**
 * A publisher's page with one protected block, seen through the snippet's hooks: the block's
 * `data-opentab-state` and `data-opentab-error`, its offer buttons and its live region.
 */

export type PaywallState = "loading" | "locked" | "paying" | "unlocked" | "error";

export class ArticlePage {
  private constructor(
    readonly page: Page,
    readonly resource: string,
  ) {}

  /** Opens the page and waits until the snippet has settled the block (not loading). */
  static async open(context: BrowserContext, url: string, resource: string) {
    const article = new ArticlePage(await context.newPage(), resource);
    await article.page.goto(url);
    await article.settled();
    return article;
  }

  get block(): Locator {
    return this.page.locator(`[data-opentab-resource="${this.resource}"]`);
  }

  /** Waits for a state the snippet rests in and answers it. */
  async settled(): Promise<PaywallState> {
    const resting = ["locked", "unlocked", "error"].map((s) => `[data-opentab-state=${s}]`);
    await this.block.and(this.page.locator(resting.join(","))).waitFor();
    return this.state();
  }

  async state(): Promise<PaywallState> {
    const state = await this.block.getAttribute("data-opentab-state");
    const known: PaywallState[] = ["loading", "locked", "paying", "unlocked", "error"];
    return known.find((s) => s === state) ?? "error";
  }

  /** Waits for the block to reach `state`; with `error`, for that failure code as well. */
  async until(state: PaywallState, error?: string): Promise<void> {
    const code = error ? `[data-opentab-error="${error}"]` : "";
    await this.block.and(this.page.locator(`[data-opentab-state=${state}]${code}`)).waitFor();
  }

  /** The offer buttons' labels, e.g. "24-hour pass · 1.00 USD". */
  offers(): Promise<string[]> {
    return this.block.locator(".opentab-offer").allTextContents();
  }

  async choose(offer: string): Promise<void> {
    await this.block.locator(`.opentab-offer[data-opentab-offer="${offer}"]`).click();
  }

  async text(): Promise<string> {
    return (await this.block.textContent()) ?? "";
  }

  async status(): Promise<string> {
    return (await this.block.getByRole("status").textContent()) ?? "";
  }

  async reload(): Promise<PaywallState> {
    await this.page.reload();
    return this.settled();
  }

  close(): Promise<void> {
    return this.page.close();
  }
}
