import type { ErrorCode } from "../../shared/errors";
import type { ReceiptClaims } from "../../shared/schemas";
import { signToken } from "../../shared/tokens/sign";
import {
  certificate,
  certificateClaims,
  header,
  NOW,
  OTHER_MERCHANT,
  receipt,
  receiptClaims,
  receiptContext,
  TAB_B,
} from "./fixtures";
import { editClaims, highS, signHs256, signRaw, unsigned } from "./forge";
import type { Vector } from "./format";
import type { TestKeys } from "./keys";

type Context = Parameters<typeof receiptContext>[1];

/**
 * Receipts as a merchant takes them: verifyCertificate, verifyReceipt, then checkReceipt
 * against its own origins, offer, tab state and limit.
 */
export async function receiptVectors(keys: TestKeys): Promise<Vector[]> {
  const cert = await certificate(keys);
  const vector = (
    name: string,
    description: string,
    expect: ErrorCode | "accept",
    token: string,
    context: Context = {},
    certificateToken = cert,
  ): Vector => ({
    name,
    description,
    kind: "receipt",
    tokens: { certificate: certificateToken, receipt: token },
    context: receiptContext(keys, context),
    expect,
  });
  const tabHeader = header("receipt", keys.tabA);
  const raw = (overrides: Record<string, unknown>, headerValue: object = tabHeader) =>
    signRaw(headerValue, { ...receiptClaims(), ...overrides }, keys.tabA.privateKey);
  const third = { seq: 3, cum: "750000" } satisfies Partial<ReceiptClaims>;
  const afterTwo: Context = { state: { seq: 2, cum: "500000" } };
  const first = await receipt(keys);
  const limited = await certificate(keys, { lim: "1000000" });
  const nonCanonical: [string, string, unknown][] = [
    ["decimal", "a fraction", "0.1"],
    ["exponent", "an exponent", "1e3"],
    ["negative", "a sign", "-5"],
    ["leading-zeros", "leading zeros", "007"],
    ["json-number", "a JSON number instead of a string", 250000],
    ["zero", "zero, which moves no money", "0"],
  ];

  return [
    vector("receipt-first", "The first receipt of a fresh tab.", "accept", first),
    vector(
      "receipt-third",
      "The third receipt: seq = last + 1, cum = last cum + amt.",
      "accept",
      await receipt(keys, third),
      afterTwo,
    ),
    vector(
      "receipt-reaches-limit",
      "cum lands exactly on the limit.",
      "accept",
      await receipt(keys, { seq: 4, cum: "1000000" }),
      { state: { seq: 3, cum: "750000" }, limit: "1000000" },
      limited,
    ),
    vector(
      "receipt-over-limit",
      "cum would pass the tab's limit.",
      "tab_limit_exceeded",
      await receipt(keys, { seq: 5, cum: "1250000" }),
      { state: { seq: 4, cum: "1000000" }, limit: "1000000" },
      limited,
    ),
    vector(
      "receipt-amount-lowered-after-signing",
      "amt edited from 250000 to 1 with the signature kept.",
      "token_signature_invalid",
      editClaims(first, (c) => {
        c.amt = "1";
      }),
    ),
    vector(
      "receipt-cum-lowered-after-signing",
      "cum edited from 750000 to 500000 with the signature kept.",
      "token_signature_invalid",
      editClaims(await receipt(keys, third), (c) => {
        c.cum = "500000";
      }),
      afterTwo,
    ),
    vector(
      "receipt-seq-gap",
      "seq 3 after seq 1: a receipt went missing.",
      "seq_out_of_order",
      await receipt(keys, { seq: 3, cum: "500000" }),
      { state: { seq: 1, cum: "250000" } },
    ),
    vector(
      "receipt-seq-reused-other-payload",
      "seq 2 is already accepted; this receipt reuses it with another iat (another payload).",
      "seq_reused",
      await receipt(keys, { seq: 2, cum: "500000", iat: NOW - 5 }),
      afterTwo,
    ),
    vector(
      "receipt-cum-mismatch",
      "Signed with cum 600000 where the last cum plus amt is 500000.",
      "cum_mismatch",
      await receipt(keys, { seq: 2, cum: "600000" }),
      { state: { seq: 1, cum: "250000" } },
    ),
    vector(
      "receipt-wrong-merchant",
      "Signed for another merchant (aud), presented to this one with this merchant's certificate.",
      "merchant_mismatch",
      await receipt(keys, { aud: OTHER_MERCHANT }),
    ),
    vector(
      "receipt-wrong-origin",
      "org is a look-alike origin, not one of the merchant's.",
      "origin_mismatch",
      await receipt(keys, { org: "https://dailyplanet.example.evil.test" }),
    ),
    vector(
      "receipt-wrong-currency",
      "The tab is in EUR, the offer in USD.",
      "currency_mismatch",
      first,
      {},
      await certificate(keys, { cur: "EUR" }),
    ),
    vector(
      "receipt-price-not-the-offer",
      "amt 200000 where the offer's current price is 250000.",
      "price_mismatch",
      await receipt(keys, { amt: "200000", cum: "200000" }),
    ),
    vector(
      "receipt-offer-unknown",
      "off names an offer the merchant does not sell for this resource.",
      "offer_unknown",
      await receipt(keys, { off: "moon-landing-free" }),
    ),
    vector(
      "receipt-stale",
      "iat 400 s before now; a receipt may be at most 300 s old when first presented.",
      "receipt_stale",
      await receipt(keys, { iat: NOW - 400 }),
    ),
    vector(
      "receipt-issued-in-future",
      "iat two minutes after now, beyond the 30 s tolerance.",
      "token_issued_in_future",
      await receipt(keys, { iat: NOW + 120 }),
    ),
    vector(
      "receipt-expired",
      "exp 60 s before now, beyond the 30 s tolerance.",
      "token_expired",
      await receipt(keys, { exp: NOW - 60, iat: NOW - 70 }),
    ),
    vector(
      "receipt-expired-within-tolerance",
      "exp 20 s before now, inside the 30 s tolerance.",
      "accept",
      await receipt(keys, { exp: NOW - 20, iat: NOW - 30 }),
    ),
    vector(
      "receipt-certificate-expired",
      "The tab's certificate expired 60 s before now.",
      "certificate_expired",
      await receipt(keys, { exp: NOW - 60, iat: NOW - 70 }),
      {},
      await certificate(keys, { exp: NOW - 60 }),
    ),
    vector(
      "receipt-certificate-from-other-issuer-key",
      "The certificate is signed by an issuer key the merchant does not trust.",
      "token_key_unknown",
      first,
      {},
      await signToken("certificate", certificateClaims(keys), keys.issuerRogue),
    ),
    vector(
      "receipt-signed-by-other-tab-key",
      "Signed by tab B's key (its own kid) but presented with tab A's certificate.",
      "receipt_key_mismatch",
      await signToken("receipt", receiptClaims(), keys.tabB),
    ),
    vector(
      "receipt-other-tab-key-claiming-kid",
      "Signed by tab B's key while naming tab A's key thumbprint as kid.",
      "token_signature_invalid",
      await signRaw(tabHeader, receiptClaims(), keys.tabB.privateKey),
    ),
    vector(
      "receipt-for-other-tab",
      "Signed by tab A's key but naming tab B as its tab.",
      "receipt_key_mismatch",
      await receipt(keys, { tab: TAB_B }),
    ),
    vector(
      "receipt-high-s",
      "The first receipt with its signature in the high-s form: same payload, other bytes.",
      "signature_not_canonical",
      highS(first),
    ),
    vector(
      "receipt-alg-none",
      'Header alg "none", empty signature.',
      "token_alg_not_allowed",
      unsigned({ ...tabHeader, alg: "none" }, receiptClaims()),
    ),
    vector(
      "receipt-alg-hs256-tab-key-as-secret",
      "HS256 keyed with the tab public key's x coordinate, which the certificate discloses.",
      "token_alg_not_allowed",
      await signHs256({ ...tabHeader, alg: "HS256" }, receiptClaims(), keys.tabA.publicJwk.x),
    ),
    vector(
      "receipt-embedded-jwk",
      "Signed by tab B's key, carried in the header as `jwk`.",
      "token_header_invalid",
      await signRaw(
        { ...header("receipt", keys.tabB), jwk: keys.tabB.publicJwk },
        receiptClaims(),
        keys.tabB.privateKey,
      ),
    ),
    vector(
      "receipt-certificate-in-its-place",
      "The certificate presented a second time, as the receipt.",
      "token_typ_invalid",
      cert,
    ),
    vector(
      "receipt-missing-exp",
      "Signed without an exp claim.",
      "token_claims_invalid",
      await raw({ exp: undefined }),
    ),
    ...(await Promise.all(
      nonCanonical.map(async ([name, what, amt]) =>
        vector(
          `receipt-amount-${name}`,
          `Signed with amt written with ${what}: ${JSON.stringify(amt)}.`,
          "amount_invalid",
          await raw({ amt }),
        ),
      ),
    )),
    vector(
      "receipt-cum-leading-zero",
      'Signed with cum "0250000".',
      "amount_invalid",
      await raw({ cum: "0250000" }),
    ),
    vector(
      "receipt-oversized",
      "A validly signed receipt padded past 4 KiB; refused before parsing.",
      "token_too_large",
      await raw({ res: "r".repeat(4096) }),
    ),
  ];
}
