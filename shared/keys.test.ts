import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { exportPublicJwk, generateSigningKey, importPublicKey, thumbprint } from "./keys";

describe("key ids", () => {
  it("is the RFC 7638 thumbprint: SHA-256 of crv, kty, x, y in that order, no spaces", async () => {
    const { publicJwk, kid } = await generateSigningKey();
    const canonical = `{"crv":"P-256","kty":"EC","x":"${publicJwk.x}","y":"${publicJwk.y}"}`;
    expect(kid).toBe(createHash("sha256").update(canonical).digest("base64url"));
  });

  it("ignores a kid member when computing the thumbprint", async () => {
    const { publicJwk, kid } = await generateSigningKey();
    expect(await thumbprint({ ...publicJwk, kid: "something-else" })).toBe(kid);
  });

  it("exports only kty, crv, x and y of a public key", async () => {
    const { publicKey } = await generateSigningKey();
    expect(Object.keys(await exportPublicJwk(publicKey)).sort()).toEqual(["crv", "kty", "x", "y"]);
  });

  it("makes wallet keys non-extractable unless asked", async () => {
    expect((await generateSigningKey()).privateKey.extractable).toBe(false);
    expect((await generateSigningKey(true)).privateKey.extractable).toBe(true);
  });
});

describe("the imported key cache", () => {
  it("imports a public key once and hands the same key back", async () => {
    const { publicJwk } = await generateSigningKey();
    const first = importPublicKey(publicJwk);
    expect(importPublicKey({ ...publicJwk })).toBe(first);
    expect(await importPublicKey(publicJwk)).toBe(await first);
  });

  it("keeps different keys apart", async () => {
    const a = await generateSigningKey();
    const b = await generateSigningKey();
    expect(await importPublicKey(a.publicJwk)).not.toBe(await importPublicKey(b.publicJwk));
  });

  it("imports a key usable for verifying and nothing else", async () => {
    const { publicJwk } = await generateSigningKey();
    const key = await importPublicKey(publicJwk);
    expect(key.type).toBe("public");
    expect(key.usages).toEqual(["verify"]);
  });

  it("does not cache a key that failed to import, so a later call tries again", async () => {
    const { publicJwk } = await generateSigningKey();
    const offCurve = { ...publicJwk, y: publicJwk.x };
    const failed = importPublicKey(offCurve);
    await expect(failed).rejects.toThrow();
    expect(importPublicKey(offCurve)).not.toBe(failed);
    await expect(importPublicKey(offCurve)).rejects.toThrow();
  });
});
