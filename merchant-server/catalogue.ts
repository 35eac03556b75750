import { formatMajor } from "../shared/money";
import type { PricedOffer } from "../shared/rules";
import type { Offer } from "../shared/schemas";
import type { CatalogueConfig } from "./config";

/**
 * The merchant's offers, indexed once at start. Every offer has one id: a resource's unlock
 * offer is named after the resource, a pass and an API route after themselves. A receipt's
 * `res` must be the offer's target: the resource, the pass scope, or the API route id.
 */

export type Resource = CatalogueConfig["resources"][number];
export type Pass = CatalogueConfig["passes"][number];
export type ApiRoute = CatalogueConfig["apis"][number];

export interface CatalogueOffer extends PricedOffer {
  kind: Offer["kind"];
  /** The pass length, for pass offers. */
  durationSeconds?: number;
}

export class Catalogue {
  readonly #resources = new Map<string, Resource>();
  readonly #apis = new Map<string, ApiRoute>();
  readonly #offers = new Map<string, CatalogueOffer>();
  readonly #wire = new Map<string, Offer>();
  readonly #passes: Pass[];

  constructor(
    config: CatalogueConfig,
    readonly currency: string,
  ) {
    this.#passes = config.passes;
    for (const resource of config.resources) {
      this.#resources.set(resource.id, resource);
      this.#add(
        { id: resource.id, kind: "unlock", target: resource.id, price: resource.price },
        {
          title: resource.title,
          resource: resource.id,
        },
      );
    }
    for (const pass of config.passes) {
      const offer = { id: pass.id, kind: "pass" as const, target: pass.scope, price: pass.price };
      this.#add(
        { ...offer, durationSeconds: pass.durationSeconds },
        {
          title: pass.title,
          scope: pass.scope,
          duration_s: pass.durationSeconds,
        },
      );
    }
    for (const api of config.apis) {
      this.#apis.set(api.id, api);
      this.#add(
        { id: api.id, kind: "api", target: api.id, price: api.price },
        {
          title: api.title,
          resource: api.id,
        },
      );
    }
  }

  resource(id: string): Resource | undefined {
    return this.#resources.get(id);
  }

  api(id: string): ApiRoute | undefined {
    return this.#apis.get(id);
  }

  apis(): ApiRoute[] {
    return [...this.#apis.values()];
  }

  offer(id: string): CatalogueOffer | undefined {
    return this.#offers.get(id);
  }

  /** What can be bought for a resource: its unlock, and every pass whose scope covers it. */
  offersFor(id: string): Offer[] | undefined {
    const resource = this.#resources.get(id);
    if (resource) {
      const passes = this.#passes.filter((pass) => resource.scopes.includes(pass.scope));
      return [resource.id, ...passes.map((pass) => pass.id)].flatMap((o) => this.#wireOffer(o));
    }
    return this.#apis.has(id) ? this.#wireOffer(id) : undefined;
  }

  #wireOffer(id: string): Offer[] {
    const offer = this.#wire.get(id);
    return offer ? [offer] : [];
  }

  #add(
    offer: Omit<CatalogueOffer, "price" | "currency"> & { price: string },
    wire: Pick<Offer, "title" | "resource" | "scope" | "duration_s">,
  ): void {
    const price = BigInt(offer.price);
    this.#offers.set(offer.id, { ...offer, price, currency: this.currency });
    this.#wire.set(offer.id, {
      id: offer.id,
      kind: offer.kind,
      price: offer.price,
      currency: this.currency,
      display: `${formatMajor(price, this.currency)} ${this.currency}`,
      ...wire,
    });
  }
}
