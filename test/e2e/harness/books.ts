import { z } from "zod";
import type { Demo, DemoSite } from "../../../demo/start";
import { account } from "../../../issuer/ledger";
import { MerchantClient, type TabState } from "../../../merchant-server/client";
import { SettleRunReply } from "../../../shared/merchant-api";

/**
 * What the money says on the servers' side: the issuer's books (read in-process from the demo),
 * each merchant's tab state, settlement and reconciliation over its admin API.
 */

const USD = "USD";

export interface WalletMoney {
  available: bigint;
  reserved: bigint;
  spent: bigint;
  tabs: { tab: string; merchant: string; limit: bigint; settled: bigint }[];
}

const Amount = z.string().regex(/^\d+$/).transform(BigInt);

const ReportLine = z.object({
  tab: z.string(),
  seq: z.number(),
  cum: Amount,
  accepted: Amount,
  paid: Amount.optional(),
  status: z.enum(["pending", "accepted", "refused"]),
});
const Report = z.object({
  merchant: z.string(),
  batches: z.array(
    z.object({
      bid: z.string(),
      status: z.enum(["pending", "settled"]),
      accepted: Amount,
      gross: Amount.optional(),
      payout: Amount.optional(),
      carryOut: Amount.optional(),
      lines: z.array(ReportLine),
    }),
  ),
  totals: z.array(
    z.object({
      currency: z.string(),
      accepted: Amount,
      paid: Amount,
      payout: Amount,
      carry: Amount,
      refused: Amount,
      pending: Amount,
    }),
  ),
});
export type Report = z.infer<typeof Report>;

export class Books {
  constructor(private readonly demo: Demo) {}

  /** The wallet's USD money and tabs as the issuer's own books hold them. */
  async wallet(wallet: string): Promise<WalletMoney> {
    const statement = await this.demo.issuer.books.walletStatement(wallet);
    const usd = statement.balances.find((b) => b.currency === USD);
    if (!usd) throw new Error(`the issuer holds no ${USD} for ${wallet}`);
    return {
      available: BigInt(usd.available),
      reserved: BigInt(usd.reserved),
      spent: BigInt(usd.spent),
      tabs: statement.tabs.map((t) => ({
        tab: t.tab,
        merchant: t.merchant,
        limit: BigInt(t.limit),
        settled: BigInt(t.settled),
      })),
    };
  }

  /** The merchant's record of a tab: the last accepted seq and cum. */
  merchantTab(site: DemoSite, tab: string): Promise<TabState> {
    return new MerchantClient(site.origin).tabState(tab);
  }

  /** The wallet's one tab at a site, with the merchant's state of it. */
  async tabAt(wallet: string, site: DemoSite): Promise<TabState & { tab: string; limit: bigint }> {
    const tabs = (await this.wallet(wallet)).tabs.filter((t) => t.merchant === site.merchant);
    const [only] = tabs;
    if (!only || tabs.length !== 1) throw new Error(`${tabs.length} tabs at ${site.merchant}`);
    return { ...(await this.merchantTab(site, only.tab)), tab: only.tab };
  }

  async settle(site: DemoSite): Promise<SettleRunReply> {
    return SettleRunReply.parse(await this.admin(site, "POST", "/v1/admin/settle"));
  }

  async reconciliation(site: DemoSite): Promise<Report> {
    return Report.parse(await this.admin(site, "GET", "/v1/admin/reconciliation?format=json"));
  }

  /** What the issuer owes or paid the merchant: payable (the carry) plus paid out. */
  async merchantCredited(merchant: string): Promise<{ payable: bigint; paidOut: bigint }> {
    const { books } = this.demo.issuer;
    return {
      payable: await books.balance(account.payable(merchant, USD)),
      paidOut: await books.balance(account.paidOut(merchant, USD)),
    };
  }

  /** The issuer's own consistency check: every account re-derived from its entries. */
  audit() {
    return this.demo.issuer.books.audit();
  }

  private async admin(site: DemoSite, method: "GET" | "POST", path: string): Promise<unknown> {
    const response = await fetch(`${site.origin}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${site.adminToken}`,
        ...(method === "POST" ? { "content-type": "application/json" } : {}),
      },
      ...(method === "POST" ? { body: "{}" } : {}),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
    return response.json();
  }
}
