import type { WalletStatement } from "../../issuer/client";
import { formatAmount } from "../../shared/money";
import type { BalanceView, Replies, SiteView, UnlockView } from "../shared/messages";
import type { ReceiptRow, TabRow, WalletDb } from "./db";
import { type GrantService, grantView } from "./grants";
import { asOpenTabError } from "./receipts";
import type { SettingsService } from "./settings";
import { ruleView } from "./settings";
import type { WalletService } from "./wallet";

const RECENT = 10;

/** What the popup and the options page show: read-only views over the wallet's records. */
export class ViewService {
  constructor(
    private readonly db: WalletDb,
    private readonly wallet: WalletService,
    private readonly settings: SettingsService,
    private readonly grants: GrantService,
  ) {}

  async summary(siteUrl?: string): Promise<Replies["wallet.summary"]> {
    const sites = await this.sites();
    const origin = siteUrl ? originOf(siteUrl) : undefined;
    const site = origin ? sites.find((s) => s.origins.includes(origin)) : undefined;
    const recent = await this.db.receipts.orderBy("at").reverse().limit(RECENT).toArray();
    return {
      balances: await this.balances(),
      ...(site ? { site } : {}),
      sites,
      recent: recent.map(unlockView),
      passes: (await this.grants.activePasses()).map(grantView),
    };
  }

  async history(): Promise<Replies["history.list"]> {
    const rows = await this.db.receipts.orderBy("at").reverse().toArray();
    return { unlocks: rows.map(unlockView) };
  }

  /**
   * Balances as the reader thinks of them. The issuer counts a tab's whole limit as reserved
   * until the merchant settles; what the wallet has already paid on a tab is spent to the
   * reader, so it moves from reserved to spent here.
   */
  private async balances(): Promise<BalanceView[]> {
    let statement: WalletStatement;
    try {
      statement = await this.wallet.statement();
    } catch (e: unknown) {
      const { code } = asOpenTabError(e);
      if (code === "wallet_not_ready" || code === "issuer_unavailable") return [];
      throw e;
    }
    const tabs = await this.db.tabs.toArray();
    return statement.balances.map((b) => {
      const unsettled = tabs
        .filter((t) => t.currency === b.currency)
        .reduce((sum, t) => sum + paidNotSettled(t, statement), 0n);
      // biome-ignore lint/complexity/useMathMinMax: Math.min does not take bigint
      const moved = unsettled < b.reserved ? unsettled : b.reserved;
      return {
        currency: b.currency,
        available: formatAmount(b.available),
        reserved: formatAmount(b.reserved - moved),
        spent: formatAmount(b.spent + moved),
        testMoney: b.testMoney,
      };
    });
  }

  private async sites(): Promise<SiteView[]> {
    const tabs = await this.db.tabs.orderBy("openedAt").reverse().toArray();
    const newest = new Map<string, TabRow>();
    for (const tab of tabs) if (!newest.has(tab.merchant)) newest.set(tab.merchant, tab);
    const views: SiteView[] = [];
    for (const tab of newest.values()) views.push(await this.siteView(tab));
    return views;
  }

  private async siteView(tab: TabRow): Promise<SiteView> {
    const rule = await this.settings.rule(tab.merchant);
    return {
      merchant: tab.merchant,
      name: tab.merchantName,
      origins: tab.origins,
      currency: tab.currency,
      tab: {
        id: tab.tab,
        limit: formatAmount(tab.limit),
        cum: formatAmount(tab.cum),
        seq: tab.seq,
        expiresAt: tab.expiresAt,
      },
      ...(rule ? { rule: ruleView(rule) } : {}),
      grants: (await this.grants.forMerchant(tab.merchant)).map(grantView),
    };
  }
}

function paidNotSettled(tab: TabRow, statement: WalletStatement): bigint {
  const settled = statement.tabs.find((t) => t.tab === tab.tab)?.settled ?? 0n;
  return tab.cum > settled ? tab.cum - settled : 0n;
}

function unlockView(row: ReceiptRow): UnlockView {
  return {
    merchant: row.merchant,
    name: row.merchantName,
    origin: row.origin,
    resource: row.resource,
    offer: row.offer,
    title: row.title,
    amount: formatAmount(row.amount),
    currency: row.currency,
    tab: row.tab,
    seq: row.seq,
    status: row.status,
    at: row.at,
  };
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
