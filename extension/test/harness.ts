import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Windows } from "webextension-polyfill";
import { type Demo, startDemo } from "../../demo/start";
import { IssuerClient } from "../../issuer/client";
import { MerchantClient } from "../../merchant-server/client";
import { OpenTabError } from "../../shared/errors";
import { WalletDb } from "../background/db";
import type { Clients, Clock, MerchantApi, WindowsApi } from "../background/ports";
import { systemClock } from "../background/ports";
import { createServices, type Services } from "../background/services";

/** Test fixtures for the wallet's services: real servers, typed fakes of the browser APIs. */

export type PromptAnswer = "approve" | "decline" | "ignore" | { allowUpTo: bigint };

/** The windows API as the approval service uses it; answers each prompt as the test says. */
export class FakeWindows implements WindowsApi {
  readonly opened: string[] = [];
  answer: PromptAnswer = "approve";
  #nextId = 1;
  #services?: Services;

  attach(services: Services): void {
    this.#services = services;
  }

  async create(data?: Windows.CreateCreateDataType): Promise<Windows.Window> {
    const url = typeof data?.url === "string" ? data.url : "";
    this.opened.push(url);
    const id = new URL(url).searchParams.get("id") ?? "";
    const window: Windows.Window = {
      id: this.#nextId++,
      focused: true,
      incognito: false,
      alwaysOnTop: false,
    };
    const answer = this.answer;
    const approvals = this.#services?.approvals;
    if (approvals && answer !== "ignore") {
      // The reader clicks after the window is drawn, never inside the create call itself.
      setImmediate(() => {
        const approve = answer !== "decline";
        const upTo = typeof answer === "object" ? answer.allowUpTo : undefined;
        void approvals.decide(id, approve, upTo);
      });
    }
    return window;
  }

  async remove(): Promise<void> {}
}

/** How a test interferes with the merchant: lose the answer before or after it is processed. */
export type Loss = "none" | "before" | "after";

export class LossyMerchants {
  loss: Loss = "none";
  unlockCalls = 0;

  wrap(real: MerchantApi): MerchantApi {
    return {
      offers: (resource) => real.offers(resource),
      tabState: (tab) => real.tabState(tab),
      unlock: async (body) => {
        this.unlockCalls += 1;
        const lost = () => new OpenTabError("merchant_unavailable", "answer lost (test)");
        if (this.loss === "before") throw lost();
        const reply = await real.unlock(body);
        if (this.loss === "after") throw lost();
        return reply;
      },
    };
  }
}

export interface TestWallet {
  services: Services;
  windows: FakeWindows;
  merchants: LossyMerchants;
  db: WalletDb;
  /** Builds new service instances over the same database, as a worker restart does. */
  restart(): TestWallet;
}

let counter = 0;

export function buildWallet(
  demo: Demo,
  dbName = `wallet-${++counter}-${Date.now()}`,
  clock: Clock = systemClock,
): TestWallet {
  const db = new WalletDb(dbName);
  const windows = new FakeWindows();
  const merchants = new LossyMerchants();
  const clients: Clients = {
    issuer: (url) => new IssuerClient(url),
    merchant: (server) => merchants.wrap(new MerchantClient(server)),
  };
  const services = createServices({
    db,
    clients,
    windows,
    pageUrl: (path) => `chrome-extension://test/${path}`,
    clock,
  });
  windows.attach(services);
  return { services, windows, merchants, db, restart: () => buildWallet(demo, dbName) };
}

/** A wallet with an identity at the demo issuer and `funds` of test money. */
export async function fundedWallet(
  demo: Demo,
  funds = 10_000_000n,
  clock: Clock = systemClock,
): Promise<TestWallet> {
  const wallet = buildWallet(demo, undefined, clock);
  const { settings } = wallet.services;
  await settings.save({
    issuer: demo.issuer.url,
    defaultTabLimit: 1_000_000n,
    dailyCap: 20_000_000n,
  });
  await wallet.services.wallet.create();
  await wallet.services.wallet.topUp(funds, "USD");
  return wallet;
}

export async function startTestDemo(): Promise<Demo> {
  const dataDir = mkdtempSync(join(tmpdir(), "opentab-wallet-"));
  return startDemo({ dataDir, ports: { issuer: 0, news: 0, second: 0 } });
}
