import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  type Browser,
  type BrowserContext,
  type CDPSession,
  chromium,
  type Page,
} from "playwright-core";
import { z } from "zod";

/**
 * Debian's Chromium with the built extension, one persistent profile per reader. Approval
 * windows are collected as they open, so a flow can wait for the next one or assert that
 * none opened; the service worker can be stopped through the DevTools protocol.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const EXTENSION_DIR = resolve(import.meta.dirname, "../../../dist/extension");
export const haveChromium = existsSync(CHROMIUM);

/** Quiet, sandbox-free flags for Chromium under test (containers run as root). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

const PROMPT = /\/extension\/prompt\/index\.html\?id=/;

/** Pages that match one predicate, in the order they opened, awaited one at a time. */
class PageQueue {
  readonly #waiting: ((page: Page) => void)[] = [];
  readonly #ready: Page[] = [];
  opened = 0;

  push(page: Page): void {
    this.opened += 1;
    const waiter = this.#waiting.shift();
    if (waiter) waiter(page);
    else this.#ready.push(page);
  }

  next(): Promise<Page> {
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((done) => this.#waiting.push(done));
  }
}

export class WalletBrowser {
  readonly approvals = new PageQueue();
  #worker: Promise<WorkerControl> | undefined;

  private constructor(
    readonly context: BrowserContext,
    readonly extensionId: string,
    private readonly profile: string,
  ) {
    context.on("page", (page) => void this.#sort(page));
  }

  /**
   * A fresh profile with the built extension loaded; resolves once its worker runs. `args` are
   * added to Chromium's command line (e.g. a proxy).
   */
  static async launch(args: string[] = []): Promise<WalletBrowser> {
    if (!existsSync(join(EXTENSION_DIR, "manifest.json"))) {
      throw new Error(`no built extension in ${EXTENSION_DIR}: run npm run build first`);
    }
    const profile = mkdtempSync(join(tmpdir(), "opentab-e2e-profile-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      args: [
        ...CHROMIUM_ARGS,
        `--disable-extensions-except=${EXTENSION_DIR}`,
        `--load-extension=${EXTENSION_DIR}`,
        ...args,
      ],
    });
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker"));
    return new WalletBrowser(context, new URL(worker.url()).host, profile);
  }

  url(path: string): string {
    return `chrome-extension://${this.extensionId}/extension/${path}`;
  }

  async open(url: string): Promise<Page> {
    const page = await this.context.newPage();
    await page.goto(url);
    return page;
  }

  /**
   * Stops the extension's service worker, as the browser does when it idles or crashes, and
   * resolves once it reports stopped. The next message to the worker starts it again.
   */
  async stopWorker(): Promise<void> {
    const control = await this.#control();
    if (control.status() === "stopped") return;
    const stopped = control.until("stopped");
    await control.cdp.send("ServiceWorker.stopAllWorkers");
    await stopped;
  }

  /**
   * Lets the worker's requests to URLs matching `urlPattern` reach the server, but holds the
   * server's answers back (DevTools Fetch interception on the worker); `held` resolves with the
   * first URL held. DevTools keeps the interception across a restart of the same worker, so
   * `release` must end it (after `stopWorker`, or the held answer goes through after all).
   */
  async holdAnswers(
    urlPattern: string,
  ): Promise<{ held: Promise<string>; release(): Promise<void> }> {
    const browser = this.context.browser();
    if (!browser) throw new Error("no browser behind the context");
    const cdp = await browser.newBrowserCDPSession();
    const { targetInfos } = await cdp.send("Target.getTargets");
    const ours = `chrome-extension://${this.extensionId}/`;
    const worker = targetInfos.find((t) => t.type === "service_worker" && t.url.startsWith(ours));
    if (!worker) throw new Error("the extension's worker is not running");
    // Worker targets take commands through the (non-flattened) target message channel.
    const { sessionId } = await cdp.send("Target.attachToTarget", {
      targetId: worker.targetId,
      flatten: false,
    });
    const replies = new Map<number, () => void>();
    let onHeld: (url: string) => void = () => undefined;
    const held = new Promise<string>((done) => {
      onHeld = done;
    });
    cdp.on("Target.receivedMessageFromTarget", (event) => {
      if (event.sessionId !== sessionId) return;
      const message = WorkerMessage.parse(JSON.parse(event.message));
      if (message.id !== undefined) replies.get(message.id)?.();
      if (message.method === "Fetch.requestPaused") onHeld(message.params?.request?.url ?? "");
    });
    const command = async (id: number, method: string, params: object) => {
      const answered = new Promise<void>((done) => replies.set(id, done));
      const message = JSON.stringify({ id, method, params });
      await cdp.send("Target.sendMessageToTarget", { sessionId, message });
      await answered;
    };
    await command(1, "Fetch.enable", { patterns: [{ urlPattern, requestStage: "Response" }] });
    const release = async () => {
      await command(2, "Fetch.disable", {});
      await cdp.send("Target.detachFromTarget", { sessionId });
      await cdp.detach();
    };
    return { held, release };
  }

  async close(): Promise<void> {
    await this.context.close();
    rmSync(this.profile, { recursive: true, force: true });
  }

  /** An extension page with a DevTools session that watches this extension's worker. */
  #control(): Promise<WorkerControl> {
    this.#worker ??= WorkerControl.attach(this);
    return this.#worker;
  }

  async #sort(page: Page): Promise<void> {
    if (page.url() === "about:blank") {
      await page.waitForURL((url) => url.protocol !== "about:").catch(() => undefined);
    }
    if (PROMPT.test(page.url())) this.approvals.push(page);
  }
}

const WorkerMessage = z.object({
  id: z.number().optional(),
  method: z.string().optional(),
  params: z.object({ request: z.object({ url: z.string() }).optional() }).optional(),
});

type RunningStatus = "stopped" | "starting" | "running" | "stopping";

class WorkerControl {
  #status: RunningStatus = "running";
  readonly #waiting: { status: RunningStatus; done: () => void }[] = [];

  private constructor(readonly cdp: CDPSession) {}

  static async attach(browser: WalletBrowser): Promise<WorkerControl> {
    const page = await browser.open(browser.url("popup/index.html"));
    const control = new WorkerControl(await browser.context.newCDPSession(page));
    const prefix = `chrome-extension://${browser.extensionId}/`;
    control.cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
      const ours = versions.find((v) => v.scriptURL.startsWith(prefix));
      if (ours) control.#update(ours.runningStatus);
    });
    await control.cdp.send("ServiceWorker.enable");
    return control;
  }

  status(): RunningStatus {
    return this.#status;
  }

  until(status: RunningStatus): Promise<void> {
    return new Promise((done) => this.#waiting.push({ status, done }));
  }

  #update(status: RunningStatus): void {
    this.#status = status;
    for (const waiter of this.#waiting.filter((w) => w.status === status)) {
      this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
      waiter.done();
    }
  }
}

/** A browser without the extension: what a visitor who never installed the wallet sees. */
export async function launchPlain(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
