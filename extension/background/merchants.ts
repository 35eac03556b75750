import type { MerchantRecord } from "../../issuer/client";
import { fail } from "../../shared/errors";
import type { Offer } from "../../shared/schemas";
import type { Clients } from "./ports";
import type { SettingsService } from "./settings";

/**
 * Who a merchant is and what it charges, always from the issuer's directory and the merchant's
 * own server, never from the page that asks (docs/protocol.md §6).
 */
export class MerchantDirectory {
  constructor(
    private readonly settings: SettingsService,
    private readonly clients: Clients,
  ) {}

  /** The merchant's public record, refused when the asking page is not on one of its origins. */
  async forOrigin(merchant: string, origin: string): Promise<MerchantRecord> {
    const { issuer } = await this.settings.get();
    const record = await this.clients.issuer(issuer).merchant(merchant);
    if (!record.origins.includes(origin)) {
      fail("origin_mismatch", `${origin} is not one of ${record.name}'s sites`);
    }
    return record;
  }

  /** Every offer the merchant's server lists for a resource. */
  async offers(record: MerchantRecord, resource: string): Promise<Offer[]> {
    const reply = await this.clients.merchant(record.server).offers(resource);
    if (reply.merchant !== record.id) {
      fail("merchant_mismatch", "the merchant's server answers for another merchant");
    }
    return reply.offers;
  }

  async offer(record: MerchantRecord, resource: string, offerId: string): Promise<Offer> {
    const offer = (await this.offers(record, resource)).find((o) => o.id === offerId);
    if (!offer) fail("offer_unknown", `${record.name} has no offer ${offerId} for ${resource}`);
    return offer;
  }
}

/** What a receipt for this offer buys: the pass scope, or the resource it unlocks. */
export function offerTarget(offer: Offer, resource: string): string {
  if (offer.kind === "pass" && offer.scope) return offer.scope;
  return offer.resource ?? resource;
}

/** The pass scopes that would open a resource, as its offers list them. */
export function passScopes(offers: Offer[]): string[] {
  return offers.flatMap((o) => (o.kind === "pass" && o.scope ? [o.scope] : []));
}
