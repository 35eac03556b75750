import type { CertificateClaims, ReceiptClaims } from "../../shared/schemas";
import { signToken } from "../../shared/tokens/sign";
import { type TokenKind, tokenKinds } from "../../shared/tokens/types";
import type { Vector } from "./format";
import type { TestKey, TestKeys } from "./keys";

/** Fixed names and times every vector shares; nothing here reads the clock. */
export const ISSUER_URL = "https://issuer.opentab.example";
export const MERCHANT = "daily-planet";
export const OTHER_MERCHANT = "gotham-gazette";
export const ORIGIN = "https://dailyplanet.example";
export const TAB_A = "tab_VectorTabA000000000000";
export const TAB_B = "tab_VectorTabB000000000000";
export const ISSUED_AT = 1796313600;
export const TAB_EXPIRY = ISSUED_AT + 30 * 86400;
/** The moment every vector is verified at, a little after the tab opened. */
export const NOW = ISSUED_AT + 6400;
export const PRICE = "250000";
/** How old a receipt may be when first presented (protocol §2.2: 5 minutes). */
export const MAX_AGE = 300;

export const header = (kind: TokenKind, key: TestKey) => ({
  alg: "ES256",
  typ: tokenKinds[kind].typ,
  kid: key.kid,
});

export function certificateClaims(
  keys: TestKeys,
  overrides: Partial<CertificateClaims> = {},
): CertificateClaims {
  return {
    iss: ISSUER_URL,
    sub: TAB_A,
    aud: MERCHANT,
    cnf: { jwk: keys.tabA.publicJwk },
    lim: "5000000",
    cur: "USD",
    iat: ISSUED_AT,
    exp: TAB_EXPIRY,
    ...overrides,
  };
}

export function receiptClaims(overrides: Partial<ReceiptClaims> = {}): ReceiptClaims {
  return {
    aud: MERCHANT,
    tab: TAB_A,
    seq: 1,
    amt: PRICE,
    cum: PRICE,
    org: ORIGIN,
    res: "moon-landing",
    off: "moon-landing",
    iat: NOW - 10,
    exp: TAB_EXPIRY,
    ...overrides,
  };
}

export const certificate = (keys: TestKeys, overrides: Partial<CertificateClaims> = {}) =>
  signToken("certificate", certificateClaims(keys, overrides), keys.issuer);

export const receipt = (keys: TestKeys, overrides: Partial<ReceiptClaims> = {}) =>
  signToken("receipt", receiptClaims(overrides), keys.tabA);

type ReceiptVector = Extract<Vector, { kind: "receipt" }>;
type ReceiptContext = ReceiptVector["context"];

export function receiptContext(
  keys: TestKeys,
  overrides: Partial<ReceiptContext> = {},
): ReceiptContext {
  return {
    trusted: [keys.issuer.kid],
    merchant: MERCHANT,
    origins: [ORIGIN],
    offer: { id: "moon-landing", resource: "moon-landing", price: PRICE, currency: "USD" },
    state: { seq: 0, cum: "0" },
    limit: "5000000",
    max_age: MAX_AGE,
    now: NOW,
    ...overrides,
  };
}
