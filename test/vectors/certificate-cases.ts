import type { ErrorCode } from "../../shared/errors";
import {
  certificate,
  certificateClaims,
  header,
  ISSUED_AT,
  MERCHANT,
  NOW,
  OTHER_MERCHANT,
  receipt,
} from "./fixtures";
import { editClaims, highS, signHs256, signRaw, truncateSignature, unsigned } from "./forge";
import type { Vector } from "./format";
import type { TestKeys } from "./keys";

/** Tab certificates as a merchant checks them: shared/payment.ts verifyCertificate. */
export async function certificateVectors(keys: TestKeys): Promise<Vector[]> {
  const vector = (
    name: string,
    description: string,
    expect: ErrorCode | "accept",
    token: string,
  ): Vector => ({
    name,
    description,
    kind: "certificate",
    tokens: { certificate: token },
    context: { trusted: [keys.issuer.kid], merchant: MERCHANT, now: NOW },
    expect,
  });
  const claims = certificateClaims(keys);
  const issuerHeader = header("certificate", keys.issuer);
  const valid = await certificate(keys);
  const sign = (headerValue: object, body: unknown = claims) =>
    signRaw(headerValue, body, keys.issuer.privateKey);

  return [
    vector(
      "certificate-valid",
      "A tab certificate signed by the trusted issuer key.",
      "accept",
      valid,
    ),
    vector(
      "certificate-raised-limit",
      "A later certificate for the same tab and key with a higher limit.",
      "accept",
      await certificate(keys, { lim: "10000000", iat: ISSUED_AT + 3600 }),
    ),
    vector(
      "certificate-alg-none",
      'Header alg "none" and an empty signature.',
      "token_alg_not_allowed",
      unsigned({ ...issuerHeader, alg: "none" }, claims),
    ),
    vector(
      "certificate-alg-hs256-public-key-as-secret",
      "HS256 with the issuer's public JWK (as JSON) as the HMAC secret: algorithm confusion.",
      "token_alg_not_allowed",
      await signHs256(
        { ...issuerHeader, alg: "HS256" },
        claims,
        JSON.stringify(keys.issuer.publicJwk),
      ),
    ),
    vector(
      "certificate-alg-es384",
      "Header claims ES384; only ES256 is allowed.",
      "token_alg_not_allowed",
      await sign({ ...issuerHeader, alg: "ES384" }),
    ),
    vector(
      "certificate-embedded-jwk",
      "Signed by a rogue key that the header carries as `jwk`, hoping the verifier uses it.",
      "token_header_invalid",
      await signRaw(
        { ...header("certificate", keys.issuerRogue), jwk: keys.issuerRogue.publicJwk },
        claims,
        keys.issuerRogue.privateKey,
      ),
    ),
    vector(
      "certificate-jku-header",
      "Header points at a key set URL (`jku`).",
      "token_header_invalid",
      await sign({ ...issuerHeader, jku: "https://attacker.example/jwks.json" }),
    ),
    vector(
      "certificate-unknown-crit",
      "Header marks an unknown extension as critical.",
      "token_header_invalid",
      await sign({ ...issuerHeader, crit: ["exp-v2"], "exp-v2": 1 }),
    ),
    vector(
      "certificate-b64-false",
      "Header asks for an unencoded payload (RFC 7797 `b64: false`).",
      "token_header_invalid",
      await sign({ ...issuerHeader, b64: false, crit: ["b64"] }),
    ),
    vector(
      "certificate-missing-kid",
      "Header names no key.",
      "token_header_invalid",
      await sign({ alg: "ES256", typ: issuerHeader.typ }),
    ),
    vector(
      "certificate-wrong-typ",
      'Header typ "JWT" instead of opentab-cert+jwt.',
      "token_typ_invalid",
      await sign({ ...issuerHeader, typ: "JWT" }),
    ),
    vector(
      "certificate-receipt-in-its-place",
      "A valid receipt presented where the certificate belongs.",
      "token_typ_invalid",
      await receipt(keys),
    ),
    vector(
      "certificate-high-s",
      "The valid certificate with its signature rewritten to the high-s form (n - s).",
      "signature_not_canonical",
      highS(valid),
    ),
    vector(
      "certificate-short-signature",
      "The valid certificate with its signature cut to 63 bytes.",
      "signature_not_canonical",
      truncateSignature(valid),
    ),
    vector(
      "certificate-other-issuer-key",
      "Signed by another issuer key, named by its own thumbprint, which the merchant does not trust.",
      "token_key_unknown",
      await signRaw(header("certificate", keys.issuerRogue), claims, keys.issuerRogue.privateKey),
    ),
    vector(
      "certificate-other-key-claiming-issuer-kid",
      "Signed by a rogue key but naming the trusted issuer's thumbprint as kid.",
      "token_signature_invalid",
      await signRaw(issuerHeader, claims, keys.issuerRogue.privateKey),
    ),
    vector(
      "certificate-limit-raised-after-signing",
      "The valid certificate with lim edited to 50 USD and the signature kept.",
      "token_signature_invalid",
      editClaims(valid, (c) => {
        c.lim = "50000000";
      }),
    ),
    vector(
      "certificate-missing-exp",
      "Signed without an exp claim.",
      "token_claims_invalid",
      await sign(issuerHeader, { ...claims, exp: undefined }),
    ),
    vector(
      "certificate-extra-claim",
      "Signed with a claim the schema does not know (a wallet id, which must never appear).",
      "token_claims_invalid",
      await sign(issuerHeader, { ...claims, wal: "wal_VectorWallet0000000000" }),
    ),
    vector(
      "certificate-expired",
      "The tab expired 60 s before now, beyond the 30 s tolerance.",
      "certificate_expired",
      await certificate(keys, { exp: NOW - 60 }),
    ),
    vector(
      "certificate-expired-within-tolerance",
      "The tab expired 20 s before now, inside the 30 s clock tolerance.",
      "accept",
      await certificate(keys, { exp: NOW - 20 }),
    ),
    vector(
      "certificate-issued-in-future",
      "iat two minutes after now, beyond the 30 s tolerance.",
      "token_issued_in_future",
      await certificate(keys, { iat: NOW + 120 }),
    ),
    vector(
      "certificate-issued-within-tolerance",
      "iat 20 s after now, inside the 30 s clock tolerance.",
      "accept",
      await certificate(keys, { iat: NOW + 20 }),
    ),
    vector(
      "certificate-for-another-merchant",
      "A valid certificate whose aud is another merchant.",
      "merchant_mismatch",
      await certificate(keys, { aud: OTHER_MERCHANT }),
    ),
    vector(
      "certificate-limit-exponent",
      'Signed with lim "1e3".',
      "amount_invalid",
      await sign(issuerHeader, { ...claims, lim: "1e3" }),
    ),
    vector(
      "certificate-currency-not-money",
      'Signed with cur "XXX", the ISO 4217 code for "no currency".',
      "currency_unknown",
      await sign(issuerHeader, { ...claims, cur: "XXX" }),
    ),
    vector(
      "certificate-oversized",
      "A validly signed certificate padded past the 4 KiB limit; refused before parsing.",
      "token_too_large",
      await sign(issuerHeader, { ...claims, pad: "A".repeat(4096) }),
    ),
    vector(
      "certificate-two-segments",
      "Header and payload only.",
      "token_malformed",
      valid.slice(0, valid.lastIndexOf(".")),
    ),
    vector(
      "certificate-header-not-json",
      "The header segment decodes to text that is not JSON.",
      "token_malformed",
      `${Buffer.from("not json").toString("base64url")}${valid.slice(valid.indexOf("."))}`,
    ),
    vector(
      "certificate-payload-not-json",
      "A correctly signed token whose payload is a JSON string, not a claims object.",
      "token_malformed",
      await sign(issuerHeader, "not a claims object"),
    ),
  ];
}
