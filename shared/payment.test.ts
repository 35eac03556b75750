import { describe, expect, it } from "vitest";
import { buildReceipt, buildTab, now, testKey } from "../test/support/builders";
import { verifyCertificate, verifyReceipt } from "./payment";
import type { CertificateClaims } from "./schemas";

const refusal = (code: string) => ({ name: "OpenTabError", code });

async function openTab(overrides: Partial<CertificateClaims> = {}, at?: number) {
  const issuer = await testKey();
  const tab = await buildTab(issuer, overrides);
  const verifying = verifyCertificate(tab.certificate, () => issuer.publicKey, "daily-planet", at);
  return { issuer, tab, verifying };
}

const expired = { iat: now() - 7200, exp: now() - 3600 };

describe("verifyCertificate", () => {
  it("names the issuer key that signed it and the tab key it binds", async () => {
    const { issuer, tab, verifying } = await openTab();
    await expect(verifying).resolves.toEqual({
      claims: tab.claims,
      tabKid: tab.tabKey.kid,
      issuerKid: issuer.kid,
    });
  });

  it("answers certificate_expired, not a generic token code, once the tab expired", async () => {
    const { verifying } = await openTab(expired);
    await expect(verifying).rejects.toMatchObject(refusal("certificate_expired"));
  });

  it("verifies an expired certificate as of a moment before its expiry", async () => {
    const { verifying } = await openTab(expired, now() - 5400);
    await expect(verifying).resolves.toBeDefined();
  });
});

describe("verifyReceipt", () => {
  it("accepts a receipt signed by the certificate's tab key", async () => {
    const { tab, verifying } = await openTab();
    const { claims } = await verifyReceipt(await buildReceipt(tab, { seq: 7 }), await verifying);
    expect(claims.seq).toBe(7);
  });

  it("keeps accepting the same tab key under a raised-limit certificate", async () => {
    const { issuer, tab } = await openTab();
    const raised = await buildTab(issuer, { sub: tab.claims.sub, lim: "9000000" }, tab.tabKey);
    const certificate = await verifyCertificate(
      raised.certificate,
      () => issuer.publicKey,
      "daily-planet",
    );
    await expect(verifyReceipt(await buildReceipt(tab), certificate)).resolves.toBeDefined();
  });

  it("refuses a receipt signed by the issuer's key, not the tab's (receipt_key_mismatch)", async () => {
    const { issuer, tab, verifying } = await openTab();
    const receipt = await buildReceipt(tab, {}, issuer);
    await expect(verifyReceipt(receipt, await verifying)).rejects.toMatchObject(
      refusal("receipt_key_mismatch"),
    );
  });
});
