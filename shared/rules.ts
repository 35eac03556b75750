import type { ErrorCode } from "./errors";
import type { CertificateClaims, ReceiptClaims } from "./schemas";
import { CLOCK_TOLERANCE_S } from "./tokens/types";

/** The last receipt a party accepted on a tab; seq 0 and cum 0 before the first. */
export interface TabState {
  seq: number;
  cum: bigint;
}

/** The merchant's current price for the offer a receipt names, from its own catalogue. */
export interface PricedOffer {
  id: string;
  /** The resource an unlock opens, the scope a pass opens, or the route an API call uses. */
  target: string;
  price: bigint;
  currency: string;
}

export interface ReceiptCheck {
  merchant: string;
  origins: readonly string[];
  certificate: CertificateClaims;
  receipt: ReceiptClaims;
  offer: PricedOffer;
  state: TabState;
  /** The highest limit of any certificate seen for the tab. */
  limit: bigint;
  /** Now, in seconds. */
  now: number;
  /** How old a receipt may be when first presented, in seconds. */
  maxAge: number;
}

export type Verdict = { ok: true } | { ok: false; code: ErrorCode };

const ok: Verdict = { ok: true };
const refuse = (code: ErrorCode): Verdict => ({ ok: false, code });

/**
 * Decides whether a merchant accepts a verified receipt (DESIGN.md, "Trust model"). Replays of
 * an identical receipt are recognised by the caller before this runs, from (tab, seq) and the
 * payload; here a used seq is always a refusal.
 */
export function checkReceipt(check: ReceiptCheck): Verdict {
  const { certificate: cert, receipt, offer, state } = check;

  if (cert.aud !== check.merchant || receipt.aud !== check.merchant) {
    return refuse("merchant_mismatch");
  }

  if (receipt.tab !== cert.sub) return refuse("receipt_key_mismatch");

  // Same boundary as the token verifier: expired once now reaches exp + tolerance.
  if (cert.exp + CLOCK_TOLERANCE_S <= check.now) return refuse("certificate_expired");

  if (!check.origins.includes(receipt.org)) return refuse("origin_mismatch");

  if (cert.cur !== offer.currency) return refuse("currency_mismatch");

  if (receipt.off !== offer.id || receipt.res !== offer.target) return refuse("offer_unknown");

  if (BigInt(receipt.amt) !== offer.price) return refuse("price_mismatch");

  if (receipt.iat + check.maxAge < check.now) return refuse("receipt_stale");

  if (receipt.seq <= state.seq) return refuse("seq_reused");

  if (receipt.seq > state.seq + 1) return refuse("seq_out_of_order");

  if (BigInt(receipt.cum) !== state.cum + BigInt(receipt.amt)) return refuse("cum_mismatch");

  if (BigInt(receipt.cum) > check.limit) return refuse("tab_limit_exceeded");

  return ok;
}

/** What the issuer knows of a tab when it clears a settlement line. */
export interface IssuedTab {
  merchant: string;
  currency: string;
  limit: bigint;
  settled: bigint;
  expiresAt: number;
}

export interface LineCheck {
  merchant: string;
  currency: string;
  tab: IssuedTab;
  receipt: ReceiptClaims;
  now: number;
  /** Seconds after a tab's expiry during which its merchant may still settle it. */
  grace: number;
}

export type LineVerdict = { ok: true; pay: bigint } | { ok: false; code: ErrorCode };

/** Decides one line of a settlement batch: the newest receipt of a tab pays cum - settled. */
export function checkSettlementLine(check: LineCheck): LineVerdict {
  const { tab, receipt } = check;
  const cum = BigInt(receipt.cum);

  if (tab.merchant !== check.merchant || receipt.aud !== check.merchant) {
    return { ok: false, code: "merchant_mismatch" };
  }

  if (tab.currency !== check.currency) return { ok: false, code: "currency_mismatch" };

  if (receipt.iat >= tab.expiresAt + CLOCK_TOLERANCE_S) {
    return { ok: false, code: "certificate_expired" };
  }

  if (check.now > tab.expiresAt + check.grace) return { ok: false, code: "settlement_too_late" };

  if (cum > tab.limit) return { ok: false, code: "tab_limit_exceeded" };

  return { ok: true, pay: cum > tab.settled ? cum - tab.settled : 0n };
}
