import { randomId } from "../../shared/ids";
import { generateSigningKey, type KeyPair } from "../../shared/keys";
import type { CertificateClaims, ReceiptClaims } from "../../shared/schemas";
import { signToken } from "../../shared/tokens/sign";

/** Builders for protocol tokens in tests: sensible defaults, any claim overridable. */

export const now = (): number => Math.floor(Date.now() / 1000);

export interface TabFixture {
  issuerKey: KeyPair;
  tabKey: KeyPair;
  claims: CertificateClaims;
  certificate: string;
}

export const testKey = (): Promise<KeyPair> => generateSigningKey(true);

export async function buildTab(
  issuerKey: KeyPair,
  overrides: Partial<CertificateClaims> = {},
  tabKey?: KeyPair,
): Promise<TabFixture> {
  const key = tabKey ?? (await testKey());
  const iat = now();
  const claims: CertificateClaims = {
    iss: "http://127.0.0.1:4100",
    sub: randomId("tab"),
    aud: "daily-planet",
    cnf: { jwk: key.publicJwk },
    lim: "5000000",
    cur: "USD",
    iat,
    exp: iat + 30 * 86400,
    ...overrides,
  };
  const certificate = await signToken("certificate", claims, issuerKey);
  return { issuerKey, tabKey: key, claims, certificate };
}

export function receiptClaims(
  tab: TabFixture,
  overrides: Partial<ReceiptClaims> = {},
): ReceiptClaims {
  return {
    aud: tab.claims.aud,
    tab: tab.claims.sub,
    seq: 1,
    amt: "250000",
    cum: "250000",
    org: "http://127.0.0.1:4101",
    res: "moon-landing",
    off: "moon-landing",
    iat: now(),
    exp: tab.claims.exp,
    ...overrides,
  };
}

export function buildReceipt(
  tab: TabFixture,
  overrides: Partial<ReceiptClaims> = {},
  signer: KeyPair = tab.tabKey,
): Promise<string> {
  return signToken("receipt", receiptClaims(tab, overrides), signer);
}
