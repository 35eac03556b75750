import { expect, it } from "vitest";
import { generateSigningKey } from "../shared/keys";
import type { BatchClaims } from "../shared/schemas";
import { isLowS } from "../shared/tokens/ecdsa";
import { verifyToken } from "../shared/tokens/verify";
import { buildReceipt, buildTab, testKey } from "../test/support/builders";
import { signBatch } from "./batch-token";

async function claims(lines: number): Promise<BatchClaims> {
  const tab = await buildTab(await testKey());
  const receipt = await buildReceipt(tab, {});
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: "daily-planet",
    aud: "http://127.0.0.1:4100",
    bid: `bat_${"A".repeat(32)}`,
    cur: "USD",
    win: "2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z#1",
    lines: Array.from({ length: lines }, () => ({ certificate: tab.certificate, receipt })),
    iat,
    exp: iat + 86_400,
  };
}

it("signs a batch that verifies as a batch token, in low-s form, whatever its size", async () => {
  const key = await generateSigningKey(false);
  for (const size of [1, 3_000]) {
    const batch = await claims(size);
    const token = signBatch(batch, key);
    expect(isLowS(token.slice(token.lastIndexOf(".") + 1))).toBe(true);
    const verified = await verifyToken("batch", token, {
      key: (kid) => (kid === key.kid ? key.publicKey : undefined),
      audience: batch.aud,
    });
    expect(verified.claims).toEqual(batch);
  }
});

it("refuses to sign claims a batch may not carry", async () => {
  const key = await generateSigningKey(false);
  const batch = { ...(await claims(1)), cur: "usd" };
  expect(() => signBatch(batch, key)).toThrow();
});
