import { decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { buildTab, receiptClaims } from "../../test/support/builders";
import { batchId, randomId } from "../ids";
import { generateSigningKey, type KeyPair } from "../keys";
import { isLowS } from "./ecdsa";
import { signToken } from "./sign";
import { type ClaimsOf, type TokenKind, tokenKinds } from "./types";
import { verifyToken } from "./verify";

const now = Math.floor(Date.now() / 1000);

async function claimsOf(key: KeyPair): Promise<{ [K in TokenKind]: ClaimsOf<K> }> {
  const tab = await buildTab(key);
  const bid = await batchId("daily-planet", "USD", "2026-12-03T00:00:00Z/2026-12-04T00:00:00Z#0");
  return {
    certificate: tab.claims,
    receipt: receiptClaims(tab),
    grant: {
      iss: "daily-planet",
      aud: "daily-planet",
      jti: randomId("grt"),
      tab: tab.claims.sub,
      off: "day-pass",
      scp: "all-articles",
      iat: now,
      exp: now + 86400,
    },
    request: {
      wal: randomId("wal"),
      htm: "POST",
      htu: "/v1/tabs",
      bh: "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
      jti: "SignTestNonce0000001",
      iat: now,
      exp: now + 60,
    },
    batch: {
      iss: "daily-planet",
      aud: "http://127.0.0.1:4100",
      bid,
      cur: "USD",
      win: "2026-12-03T00:00:00Z/2026-12-04T00:00:00Z#0",
      lines: [{ certificate: tab.certificate, receipt: "a.b.c" }],
      iat: now,
      exp: now + 86400,
    },
    statement: {
      iss: "http://127.0.0.1:4100",
      aud: "daily-planet",
      bid,
      cur: "USD",
      lines: [{ tab: tab.claims.sub, seq: 1, cum: "250000", paid: "250000", status: "accepted" }],
      gross: "250000",
      carry_in: "0",
      payout: "250000",
      carry_out: "0",
      iat: now,
      exp: now + 400 * 86400,
    },
  };
}

const kinds = Object.keys(tokenKinds).filter((kind): kind is TokenKind => kind in tokenKinds);

describe("signToken → verifyToken", () => {
  it.each(kinds)("round-trips a %s with its claims unchanged", async (kind) => {
    const key = await generateSigningKey();
    const claims = (await claimsOf(key))[kind];
    const token = await signToken(kind, claims, key);
    const verified = await verifyToken(kind, token, { key: () => key.publicKey });
    expect(verified).toEqual({ kid: key.kid, claims });
  });

  it.each(kinds)("writes a %s header of exactly alg, typ and kid", async (kind) => {
    const key = await generateSigningKey();
    const token = await signToken(kind, (await claimsOf(key))[kind], key);
    expect(decodeProtectedHeader(token)).toEqual({
      alg: "ES256",
      typ: tokenKinds[kind].typ,
      kid: key.kid,
    });
  });

  it("emits every signature in low-s form", async () => {
    const key = await generateSigningKey();
    const { receipt } = await claimsOf(key);
    for (let i = 0; i < 40; i++) {
      const token = await signToken("receipt", { ...receipt, seq: i + 1 }, key);
      expect(isLowS(token.slice(token.lastIndexOf(".") + 1))).toBe(true);
    }
  });

  it("refuses to sign claims its own verifier would refuse", async () => {
    const key = await generateSigningKey();
    const { receipt } = await claimsOf(key);
    await expect(signToken("receipt", { ...receipt, amt: "0.25" }, key)).rejects.toThrow();
  });

  it("gives each kind its own typ, so no token passes as another kind", () => {
    const typs = kinds.map((kind) => tokenKinds[kind].typ);
    expect(new Set(typs).size).toBe(kinds.length);
  });
});
