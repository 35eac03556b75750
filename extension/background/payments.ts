import type { MerchantRecord } from "../../issuer/client";
import { fail, OpenTabError } from "../../shared/errors";
import { formatAmount } from "../../shared/money";
import type { Offer } from "../../shared/schemas";
import { createLogger } from "../shared/logger";
import type { ApprovalService } from "./approvals";
import type { GrantRow } from "./db";
import type { GrantService } from "./grants";
import { KeyedLock } from "./keyed-lock";
import { type MerchantDirectory, offerTarget, passScopes } from "./merchants";
import type { PendingResolver } from "./pending";
import { decide } from "./policy";
import type { Clock } from "./ports";
import type { ReceiptService } from "./receipts";
import type { SettingsService } from "./settings";
import type { TabService } from "./tabs";
import type { WalletService } from "./wallet";

const log = createLogger("payments");
const DAY_S = 86_400;

export interface PayRequest {
  /** From the browser's message sender, never from the page's message. */
  origin: string;
  merchant: string;
  resource: string;
  offer: string;
}

interface Item {
  record: MerchantRecord;
  request: PayRequest;
  offer: Offer;
  /** Pass scopes that would cover the resource, from the merchant's offers. */
  scopes: string[];
}

export interface Paid {
  grant: string;
  charged: bigint;
}

export interface PaymentDeps {
  wallet: WalletService;
  settings: SettingsService;
  merchants: MerchantDirectory;
  grants: GrantService;
  tabs: TabService;
  receipts: ReceiptService;
  pending: PendingResolver;
  approvals: ApprovalService;
  clock: Clock;
}

/**
 * The decision order of an unlock (issue 5): a held grant → present it; a site rule that
 * allows it → pay; otherwise the reader decides in the approval window. Payments to one
 * merchant run one at a time so its tab sends one receipt at a time.
 */
export class PaymentService {
  readonly #lock = new KeyedLock();

  constructor(private readonly d: PaymentDeps) {}

  /** A grant already held for the resource or a pass covering it; never prompts, never pays. */
  async lookup(origin: string, merchant: string, resource: string): Promise<string | undefined> {
    const record = await this.d.merchants.forOrigin(merchant, origin);
    const direct = await this.d.grants.held(record.id, resource, []);
    if (direct) return direct.token;

    try {
      const scopes = passScopes(await this.d.merchants.offers(record, resource));
      return (await this.d.grants.held(record.id, resource, scopes))?.token;
    } catch (e: unknown) {
      if (e instanceof OpenTabError && e.code === "merchant_unavailable") return undefined;
      throw e;
    }
  }

  async pay(request: PayRequest): Promise<Paid> {
    await this.d.wallet.auth();
    const record = await this.d.merchants.forOrigin(request.merchant, request.origin);
    const offers = await this.d.merchants.offers(record, request.resource);
    const offer = offers.find((o) => o.id === request.offer);
    if (!offer) fail("offer_unknown", `${record.name} has no offer ${request.offer}`);

    const scopes = passScopes(offers);
    const held = await this.heldFor(record, request.resource, offer, scopes);
    if (held) return { grant: held.token, charged: 0n };

    const item: Item = { record, request, offer, scopes };
    const auto = await this.#lock.run(record.id, () => this.autoPay(item));
    if (auto) return auto;

    const approved = await this.askReader(item);
    if (approved.allowUpTo !== undefined) await this.saveRuleFromPrompt(record, approved.allowUpTo);
    return this.#lock.run(record.id, () => this.charge(item));
  }

  private async heldFor(
    record: MerchantRecord,
    resource: string,
    offer: Offer,
    scopes: string[],
  ): Promise<GrantRow | undefined> {
    const byResource = await this.d.grants.held(record.id, resource, scopes);
    if (byResource || offer.kind !== "pass" || !offer.scope) return byResource;
    return this.d.grants.held(record.id, offer.scope, [offer.scope]);
  }

  /** Pays at once when a site rule allows it; decided under the merchant's lock, so exact. */
  private async autoPay(item: Item): Promise<Paid | undefined> {
    const { record, offer } = item;
    const settings = await this.d.settings.get();
    const since = this.d.clock() - DAY_S;
    const decision = decide({
      price: BigInt(offer.price),
      currency: offer.currency,
      settings,
      rule: await this.d.settings.rule(record.id),
      spentToday: await this.d.receipts.spentSince(since, settings.currency),
      siteSpentToday: await this.d.receipts.spentSince(since, offer.currency, record.id),
    });
    if (decision.pay === "ask") return undefined;
    return this.charge(item);
  }

  private async askReader({ record, request, offer }: Item) {
    const balance = await this.available(offer.currency);
    return this.d.approvals.ask({
      merchant: record.id,
      name: record.name,
      origin: request.origin,
      resource: request.resource,
      offer: offer.id,
      title: offer.title,
      kind: offer.kind,
      price: BigInt(offer.price),
      currency: offer.currency,
      ...(balance === undefined ? {} : { available: balance }),
    });
  }

  /** Resolves what is pending, makes room on the tab, then reserves, signs and sends. */
  private async charge({ record, request, offer, scopes }: Item): Promise<Paid> {
    // Two pages may have been approved for the same item; the second one gets the first's grant.
    const held = await this.heldFor(record, request.resource, offer, scopes);
    if (held) return { grant: held.token, charged: 0n };

    const { issuer, auth } = await this.d.wallet.auth();
    const settings = await this.d.settings.get();
    const amount = BigInt(offer.price);

    const existing = await this.d.tabs.current(record.id, offer.currency);
    if (existing) {
      const resolved = await this.d.pending.tab(existing);
      if (!resolved.ok) throw resolved.error;
    }

    const tab = await this.d.tabs.withRoomFor({
      auth,
      issuer,
      record,
      currency: offer.currency,
      amount,
      defaultLimit: settings.defaultTabLimit,
    });
    const purchase = {
      origin: request.origin,
      resource: request.resource,
      target: offerTarget(offer, request.resource),
      offer: offer.id,
      title: offer.title,
      amount,
    };
    const reserved = await this.d.receipts.reserve(tab.tab, purchase, {
      currency: settings.currency,
      cap: settings.dailyCap,
    });
    const signed = await this.d.receipts.sign(reserved, tab);
    const settled = await this.d.pending.first(signed, tab);
    if (!settled.ok) throw settled.error;
    if (!settled.grant) fail("internal_error", "the merchant accepted but sent no grant");

    log.info("paid", { merchant: record.id, tab: tab.tab, seq: signed.seq });
    return { grant: settled.grant.token, charged: amount };
  }

  private async saveRuleFromPrompt(record: MerchantRecord, allowUpTo: bigint): Promise<void> {
    const { dailyCap } = await this.d.settings.get();
    const perDay = dailyCap > allowUpTo ? dailyCap : allowUpTo;
    await this.d.settings.saveRule(record.id, allowUpTo, perDay);
  }

  private async available(currency: string): Promise<bigint | undefined> {
    try {
      const statement = await this.d.wallet.statement();
      return statement.balances.find((b) => b.currency === currency)?.available;
    } catch {
      return undefined;
    }
  }
}

export function paidView(paid: Paid): { type: "paid"; grant: string; charged: string } {
  return { type: "paid", grant: paid.grant, charged: formatAmount(paid.charged) };
}
