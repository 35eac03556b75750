/**
 * What the reader reads for each failure. Codes come from the merchant server, the wallet
 * (docs/protocol.md §6, §7) or the snippet itself (`wallet_timeout`, `payment_failed`).
 */

const NO_FUNDS = "Not enough funds in your OpenTab wallet. Add funds, then try again.";
const UNAVAILABLE = "The site's payment service is unavailable right now. Please try again later.";
const NOT_SET_UP = "This site is not set up for OpenTab payments yet.";

const messages: Record<string, string> = {
  payment_declined: "Payment declined. Nothing was charged.",
  approval_timeout: "The payment was not approved in time. Nothing was charged.",
  wallet_timeout: "Your OpenTab wallet did not answer. Please try again.",
  // The content script also answers this when the wallet's worker stopped mid-request.
  wallet_not_ready: "Your OpenTab wallet did not answer or is not set up yet. Please try again.",
  insufficient_funds: NO_FUNDS,
  tab_limit_exceeded: NO_FUNDS,
  daily_cap_reached: "You have reached the daily spending cap set in your wallet.",
  merchant_unavailable: UNAVAILABLE,
  issuer_unavailable: UNAVAILABLE,
  issuer_keys_unavailable: UNAVAILABLE,
  not_found: NOT_SET_UP,
  merchant_unknown: NOT_SET_UP,
  resource_unknown: NOT_SET_UP,
  offer_unknown: NOT_SET_UP,
  grant_expired: "Your access has expired. Choose an offer to continue.",
  origin_mismatch: "This page is not allowed to take payments for this site.",
};

export const messageFor = (code: string): string =>
  messages[code] ?? `The payment did not go through (${code}). Nothing was unlocked.`;

export const WALLET_MISSING = "You need the OpenTab wallet to unlock this.";
export const WAITING = "Waiting for your OpenTab wallet…";
export const LOADING = "Loading offers…";
