import type { Browser, Runtime } from "webextension-polyfill";
import type { Logger } from "../shared/logger";
import type { Router } from "./router";
import type { Services } from "./services";

export const RESOLVE_ALARM = "opentab-resolve-pending";
const ONBOARDING_PAGE = "extension/onboarding/index.html";

export interface WorkerDeps {
  browser: Pick<Browser, "runtime" | "alarms" | "windows" | "tabs">;
  services: Services;
  router: Router;
  log: Logger;
}

/**
 * Registers every listener synchronously (MV3 only delivers events to listeners added in the
 * first turn) and runs the wake-up work once per worker life: stale approval requests are
 * expired and pending receipts re-presented before any new payment is handled.
 */
export function startWorker({ browser, services, router, log }: WorkerDeps): void {
  let waking: Promise<void> | undefined;
  const wake = () => {
    waking ??= recover(services, browser, log);
    return waking;
  };

  browser.runtime.onMessage.addListener(async (message: unknown, sender: Runtime.MessageSender) => {
    await wake();
    const reply = await router.handle(message, sender);
    // A payment whose answer was lost stays pending; make sure something wakes us to finish it.
    if (!reply.ok && reply.error.code === "merchant_unavailable") {
      await browser.alarms.create(RESOLVE_ALARM, { periodInMinutes: 1 });
    }
    return reply;
  });
  browser.runtime.onStartup.addListener(() => void wake());
  browser.runtime.onInstalled.addListener(async (details) => {
    await wake();
    if (details.reason !== "install") return;
    if ((await services.wallet.status()).ready) return;
    await browser.tabs.create({ url: browser.runtime.getURL(ONBOARDING_PAGE) });
  });
  browser.alarms.onAlarm.addListener(async (alarm) => {
    if (alarm.name !== RESOLVE_ALARM) return;
    await wake();
    await resolvePending(services, browser, log);
  });
  browser.windows.onRemoved.addListener((windowId) => {
    void services.approvals.windowClosed(windowId);
  });
  void wake();
}

async function recover(
  services: Services,
  browser: WorkerDeps["browser"],
  log: Logger,
): Promise<void> {
  try {
    await services.approvals.expireStale();
    await resolvePending(services, browser, log);
  } catch (e: unknown) {
    log.warn("wake_failed", { reason: e instanceof Error ? e.message : String(e) });
  }
}

/** Re-presents pending receipts; while any stays unresolved, an alarm retries every minute. */
async function resolvePending(
  services: Services,
  browser: WorkerDeps["browser"],
  log: Logger,
): Promise<void> {
  const unresolved = await services.pending.all();
  if (unresolved === 0) {
    await browser.alarms.clear(RESOLVE_ALARM);
    return;
  }
  log.warn("receipts_unresolved", { tabs: unresolved });
  await browser.alarms.create(RESOLVE_ALARM, { periodInMinutes: 1 });
}
