import { ApprovalService } from "./approvals";
import type { WalletDb } from "./db";
import { GrantService } from "./grants";
import { MerchantDirectory } from "./merchants";
import { PaymentService } from "./payments";
import { PendingResolver } from "./pending";
import type { Clients, Clock, WindowsApi } from "./ports";
import { ReceiptService } from "./receipts";
import { SettingsService } from "./settings";
import { TabService } from "./tabs";
import { ViewService } from "./views";
import { WalletService } from "./wallet";

export interface ServiceDeps {
  db: WalletDb;
  clients: Clients;
  windows: WindowsApi;
  /** Absolute URL of an extension page, e.g. runtime.getURL. */
  pageUrl: (path: string) => string;
  clock: Clock;
  approvalTimeoutMs?: number;
}

export type Services = ReturnType<typeof createServices>;

/** Builds one service per domain over one database; a worker restart simply builds them anew. */
export function createServices(deps: ServiceDeps) {
  const { db, clients, clock } = deps;
  const settings = new SettingsService(db, clients, clock);
  const wallet = new WalletService(db, settings, clients, clock);
  const merchants = new MerchantDirectory(settings, clients);
  const grants = new GrantService(db, clock);
  const tabs = new TabService(db, clients, clock);
  const receipts = new ReceiptService(db, clients, clock);
  const pending = new PendingResolver(db, receipts, clients);
  const approvals = new ApprovalService(
    db,
    deps.windows,
    deps.pageUrl,
    clock,
    deps.approvalTimeoutMs,
  );
  const payments = new PaymentService({
    wallet,
    settings,
    merchants,
    grants,
    tabs,
    receipts,
    pending,
    approvals,
    clock,
  });
  const views = new ViewService(db, wallet, settings, grants);
  return {
    settings,
    wallet,
    merchants,
    grants,
    tabs,
    receipts,
    pending,
    approvals,
    payments,
    views,
  };
}
