import { fail, OpenTabError } from "./errors";
import { importPublicKey, thumbprint } from "./keys";
import type { CertificateClaims } from "./schemas";
import type { SignatureEngine } from "./tokens/types";
import { type KeyResolver, type Verified, verifyToken } from "./tokens/verify";

export interface VerifiedCertificate {
  claims: CertificateClaims;
  /** Thumbprint of the tab key the certificate binds (`cnf.jwk`). */
  tabKid: string;
  /** Thumbprint of the issuer key that signed it. */
  issuerKid: string;
}

// A certificate's exp is its tab's expiry, so the wallet is told the tab is over
// (certificate_expired, protocol §2.2) rather than that some token is stale.
function renameExpiry(error: unknown): never {
  if (error instanceof OpenTabError && error.code === "token_expired") {
    fail("certificate_expired", "tab certificate has expired; open a new tab");
  }
  throw error;
}

/** Verifies a tab certificate against the issuer keys a merchant trusts, for that merchant. */
export async function verifyCertificate(
  token: unknown,
  issuerKeys: KeyResolver,
  merchant: string,
  at?: number,
  engine?: SignatureEngine,
): Promise<VerifiedCertificate> {
  const { kid, claims } = await verifyToken("certificate", token, {
    key: issuerKeys,
    at,
    engine,
  }).catch(renameExpiry);
  if (claims.aud !== merchant) fail("merchant_mismatch", "certificate is for another merchant");
  return { claims, tabKid: await thumbprint(claims.cnf.jwk), issuerKid: kid };
}

export interface ReceiptCheck {
  /** Verify as of this moment (seconds); defaults to now. */
  at?: number;
  engine?: SignatureEngine;
  /**
   * Keep the imported tab key for the next receipt of the tab (default). Off where each tab
   * comes once, as in a settlement batch: a cache would only hold every key of the batch.
   */
  cacheKey?: boolean;
}

/**
 * Verifies a receipt with the tab key its certificate binds. A receipt signed by any other key
 * (another tab's, the wallet's) is refused before the signature is even checked.
 */
export async function verifyReceipt(
  token: unknown,
  certificate: VerifiedCertificate,
  { at, engine, cacheKey = true }: ReceiptCheck = {},
): Promise<Verified<"receipt">> {
  const key: KeyResolver = (kid) =>
    kid === certificate.tabKid
      ? importPublicKey(certificate.claims.cnf.jwk, cacheKey)
      : fail("receipt_key_mismatch", "receipt is not signed by its certificate's tab key");
  const verified = await verifyToken("receipt", token, { key, at, engine });
  if (verified.claims.tab !== certificate.claims.sub) {
    fail("receipt_key_mismatch", "receipt is for another tab than its certificate");
  }
  return verified;
}
