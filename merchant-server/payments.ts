import { type ErrorCode, fail } from "../shared/errors";
import { type VerifiedCertificate, verifyCertificate } from "../shared/payment";
import { checkReceipt, type PricedOffer } from "../shared/rules";
import type { GrantClaims, ReceiptClaims } from "../shared/schemas";
import { type SignatureEngine, tokenKinds } from "../shared/tokens/types";
import { peekClaims } from "../shared/tokens/verify";
import type { Catalogue, CatalogueOffer } from "./catalogue";
import type { Grants } from "./grants";
import type { IssuerKeys } from "./issuer-keys";
import type { Metrics } from "./metrics";
import type { ReceiptThread } from "./receipt-thread";
import type { MerchantStore, StoredTab } from "./store/types";
import { TabCache } from "./tab-cache";

/** How old a receipt may be when first presented (protocol §2.2). */
const MAX_RECEIPT_AGE_S = 300;
const CERTIFICATE_CACHE = 10_000;
const UNLOCK_GRANT_S = 365 * 86_400;
// A commit that loses a race re-reads the tab and decides again; one retry settles it, the
// bound only guards against a store that keeps answering "conflict".
const MAX_ATTEMPTS = 4;

const messages: Partial<Record<ErrorCode, string>> = {
  merchant_mismatch: "receipt or certificate is for another merchant",
  receipt_key_mismatch: "receipt is for another tab than its certificate",
  certificate_expired: "tab certificate has expired",
  origin_mismatch: "receipt's origin is not one of this merchant's",
  currency_mismatch: "tab currency is not the offer's",
  offer_unknown: "receipt names no current offer for its resource",
  price_mismatch: "receipt amount is not the offer's current price",
  receipt_stale: "receipt is too old; sign a fresh one",
  seq_reused: "this seq was already accepted with another receipt",
  seq_out_of_order: "receipt seq does not follow the tab's last accepted seq",
  cum_mismatch: "cum is not the tab's last cum plus this amount",
  tab_limit_exceeded: "receipt would take the tab past its limit",
};

export interface Presented {
  certificate: string;
  receipt: string;
}

export interface Payment {
  grant: string;
  offer: CatalogueOffer;
  receipt: ReceiptClaims;
  expiresAt: number;
  /** True when this exact receipt had been accepted before: nothing was charged now. */
  replay: boolean;
}

/** A verified receipt that passed every rule and is not yet stored; `commit` charges it. */
export interface PreparedPayment {
  payment: Payment;
  commit(): Promise<Payment>;
}

interface Verified {
  certificate: VerifiedCertificate;
  receipt: ReceiptClaims;
  payloadHash: string;
  /** The draft's grant, signed with the receipt's check; handed out only if the rules pass. */
  grant?: string;
}

/** A grant drafted from the receipt's claims before they are verified. */
interface DraftGrant {
  offer: CatalogueOffer;
  claims: GrantClaims;
}

export interface PaymentsDeps {
  merchant: string;
  origins: readonly string[];
  catalogue: Catalogue;
  store: MerchantStore;
  issuerKeys: IssuerKeys;
  grants: Grants;
  metrics: Metrics;
  /** Certificates are checked with it, once per token. */
  signatures: SignatureEngine;
  /** Checks each receipt (see ReceiptThread). */
  receipts: Pick<ReceiptThread, "check">;
  /** Milliseconds since the epoch. */
  now: () => number;
}

/**
 * Offline receipt acceptance (protocol §2.2): verify the certificate (once per token) and the
 * receipt, recognise an identical re-presentation by (tab, seq) and the payload hash, apply
 * the rules, then store the tab move and the receipt in one transaction.
 */
export class Payments {
  readonly #certificates = new Map<string, Promise<VerifiedCertificate>>();
  readonly #tabs = new TabCache();

  constructor(private readonly deps: PaymentsDeps) {
    deps.issuerKeys.onChange = () => this.#certificates.clear();
  }

  async accept(presented: Presented, kinds: readonly CatalogueOffer["kind"][]): Promise<Payment> {
    const prepared = await this.prepare(presented, kinds);
    return prepared.payment.replay ? prepared.payment : prepared.commit();
  }

  /**
   * Verifies and decides without storing. `cachedTab: false` decides on the store's row even
   * when this process holds the tab's last state: a paid call (§5) runs its handler before the
   * commit, so a receipt another server already stored must be recognised before, not at it.
   */
  async prepare(
    presented: Presented,
    kinds: readonly CatalogueOffer["kind"][],
    { cachedTab = true }: { cachedTab?: boolean } = {},
  ): Promise<PreparedPayment> {
    this.deps.issuerKeys.require();
    const draft = this.#draft(presented.receipt, kinds);
    const verified = await this.#verify(presented, draft);
    return this.#decide(verified, presented, kinds, draft, { attempt: 1, cachedTab });
  }

  // The grant is drafted from the receipt's unverified claims and signed on the receipt thread
  // right after the receipt passes its checks there, so an unlock takes one trip to the thread.
  // A receipt that fails the rules leaves its signed draft unused; nothing else ever sees it.
  #draft(token: string, kinds: readonly CatalogueOffer["kind"][]): DraftGrant | undefined {
    // An oversized token is refused unread by the check (protocol §2, step 1): no draft either.
    if (token.length > tokenKinds.receipt.maxBytes) return undefined;
    const claims = peekClaims(token);
    if (typeof claims?.tab !== "string" || typeof claims.off !== "string") return undefined;
    const offer = this.#offer(claims.off, kinds);
    return offer && this.#grant(claims.tab, offer);
  }

  #grant(tab: string, offer: CatalogueOffer): DraftGrant {
    const now = this.#nowSeconds();
    const expiresAt = now + (offer.durationSeconds ?? UNLOCK_GRANT_S);
    const target = offer.kind === "pass" ? { scp: offer.target } : { res: offer.target };
    const claims = this.deps.grants.claims({ tab, off: offer.id, exp: expiresAt, ...target }, now);
    return { offer, claims };
  }

  async #verify(presented: Presented, draft: DraftGrant | undefined): Promise<Verified> {
    const timer = this.deps.metrics.verifySeconds.startTimer();
    try {
      const at = this.#nowSeconds();
      const certificate = await this.#certificate(presented.certificate, at);
      const { claims, payloadHash, grant } = await this.deps.receipts.check(
        presented.receipt,
        certificate,
        at,
        draft?.claims,
      );
      return { certificate, receipt: claims, payloadHash, ...(grant ? { grant } : {}) };
    } catch (e: unknown) {
      this.#refused(e);
      throw e;
    } finally {
      timer();
    }
  }

  // Keyed by the token string: the same certificate arrives with every unlock of its tab.
  // Expiry is still checked per receipt by the rules (certificate_expired).
  #certificate(token: string, at: number): Promise<VerifiedCertificate> {
    const hit = this.#certificates.get(token);
    if (hit) return hit;
    if (this.#certificates.size >= CERTIFICATE_CACHE) {
      const oldest = this.#certificates.keys().next().value;
      if (oldest !== undefined) this.#certificates.delete(oldest);
    }
    const { issuerKeys, merchant, signatures } = this.deps;
    const verified = verifyCertificate(token, issuerKeys.resolve, merchant, at, signatures);
    this.#certificates.set(token, verified);
    verified.catch(() => this.#certificates.delete(token));
    return verified;
  }

  async #decide(
    v: Verified,
    presented: Presented,
    kinds: readonly CatalogueOffer["kind"][],
    draft: DraftGrant | undefined,
    { attempt, cachedTab }: { attempt: number; cachedTab: boolean },
  ): Promise<PreparedPayment> {
    const { receipt } = v;
    const offer = this.#offer(receipt.off, kinds);
    // The first attempt may trust this process's own last state of the tab when it lets the
    // receipt through; a replay, a refusal or a lost race is decided on the store's row.
    const cached = attempt === 1 && cachedTab ? this.#tabs.get(receipt.tab) : undefined;
    const passes = cached && receipt.seq > cached.seq && this.#verdict(v, offer, cached).verdict.ok;
    const stored = passes ? cached : await this.deps.store.tab(receipt.tab);
    const replay = stored && receipt.seq <= stored.seq ? await this.#replay(v, kinds) : undefined;
    if (replay) return { payment: replay, commit: async () => replay };

    if (!passes) this.#check(v, offer, stored);
    const payment = await this.#payment(v, offer ?? fail("offer_unknown", "no such offer"), draft);
    const commit = async (): Promise<Payment> => {
      if (await this.#store(v, presented, payment, stored)) return payment;
      this.#tabs.forget(receipt.tab);
      if (attempt >= MAX_ATTEMPTS)
        fail("seq_reused", "the tab moved while this receipt was stored");
      const next = { attempt: attempt + 1, cachedTab: false };
      return (await this.#decide(v, presented, kinds, draft, next)).commit();
    };
    return { payment, commit };
  }

  /** Stores the tab move and the receipt in one transaction; false when the tab moved first. */
  async #store(
    v: Verified,
    presented: Presented,
    payment: Payment,
    stored: StoredTab | undefined,
  ): Promise<boolean> {
    const { receipt } = v;
    const { cur, lim } = v.certificate.claims;
    const limit = BigInt(lim);
    const cum = BigInt(receipt.cum);
    // The tab's row and a certificate of this limit or higher are stored once the tab has a state.
    const known = stored !== undefined && stored.limit >= limit;
    const certificate = { limit, token: presented.certificate };
    const outcome = await this.deps.store.commit({
      ...(known ? {} : { certificate }),
      tab: receipt.tab,
      currency: cur,
      seq: receipt.seq,
      prevSeq: stored?.seq ?? 0,
      amt: BigInt(receipt.amt),
      cum,
      offer: payment.offer.id,
      resource: receipt.res,
      payloadHash: v.payloadHash,
      token: presented.receipt,
      grant: payment.grant,
      acceptedAt: this.deps.now(),
    });
    if (outcome !== "committed") return false;
    this.deps.metrics.payments.inc({ outcome: "accepted", code: "" });
    const highest = stored && stored.limit > limit ? stored.limit : limit;
    this.#tabs.advance({ tab: receipt.tab, currency: cur, seq: receipt.seq, cum, limit: highest });
    return true;
  }

  /** The original grant for an identical receipt; a different one with a used seq is refused. */
  async #replay(v: Verified, kinds: readonly CatalogueOffer["kind"][]): Promise<Payment> {
    const earlier = await this.deps.store.receipt(v.receipt.tab, v.receipt.seq);
    const offer = this.#offer(v.receipt.off, kinds);
    if (!earlier || earlier.payloadHash !== v.payloadHash || !offer) {
      this.#refuse("seq_reused");
    }
    const expiresAt = await this.deps.grants.verify(earlier.grant, this.#nowSeconds()).then(
      (g) => g.exp,
      () => this.#nowSeconds(),
    );
    this.deps.metrics.payments.inc({ outcome: "replayed", code: "" });
    return { grant: earlier.grant, offer, receipt: v.receipt, expiresAt, replay: true };
  }

  #offer(id: string, kinds: readonly CatalogueOffer["kind"][]): CatalogueOffer | undefined {
    const offer = this.deps.catalogue.offer(id);
    return offer && kinds.includes(offer.kind) ? offer : undefined;
  }

  #verdict(v: Verified, offer: CatalogueOffer | undefined, stored: StoredTab | undefined) {
    const lim = BigInt(v.certificate.claims.lim);
    const state = stored ? { seq: stored.seq, cum: stored.cum } : { seq: 0, cum: 0n };
    const verdict = checkReceipt({
      merchant: this.deps.merchant,
      origins: this.deps.origins,
      certificate: v.certificate.claims,
      receipt: v.receipt,
      // An unknown offer still goes through the rules, so the earlier checks keep their order
      // (protocol §2.2); this stand-in matches no receipt and so ends in offer_unknown.
      offer: offer ?? unknownOffer(v.certificate.claims.cur),
      state,
      limit: stored && stored.limit > lim ? stored.limit : lim,
      now: this.#nowSeconds(),
      maxAge: MAX_RECEIPT_AGE_S,
    });
    return { verdict, state };
  }

  #check(v: Verified, offer: CatalogueOffer | undefined, stored: StoredTab | undefined): void {
    const { verdict, state } = this.#verdict(v, offer, stored);
    if (verdict.ok) return;
    const details =
      verdict.code === "seq_out_of_order"
        ? { seq: state.seq, cum: state.cum.toString() }
        : undefined;
    this.#refuse(verdict.code, details);
  }

  async #payment(
    v: Verified,
    offer: CatalogueOffer,
    draft: DraftGrant | undefined,
  ): Promise<Payment> {
    const { receipt } = v;
    // The verified claims are the peeked ones (the same bytes), and the offer is looked up again
    // in case the catalogue changed in between; any difference and the grant is signed anew.
    const signed = v.grant;
    if (signed && draft && draft.claims.tab === receipt.tab && draft.offer === offer) {
      return { grant: signed, offer, receipt, expiresAt: draft.claims.exp, replay: false };
    }
    const { claims } = this.#grant(receipt.tab, offer);
    const grant = await this.deps.grants.sign(claims);
    return { grant, offer, receipt, expiresAt: claims.exp, replay: false };
  }

  #refuse(code: ErrorCode, details?: Record<string, unknown>): never {
    this.deps.metrics.payments.inc({ outcome: "refused", code });
    return fail(code, messages[code] ?? code, details);
  }

  #refused(e: unknown): void {
    const code = e instanceof Error && "code" in e ? String(e.code) : "internal_error";
    this.deps.metrics.payments.inc({ outcome: "refused", code });
  }

  #nowSeconds(): number {
    return Math.floor(this.deps.now() / 1000);
  }
}

function unknownOffer(currency: string): PricedOffer {
  return { id: "", target: "", price: 0n, currency };
}
