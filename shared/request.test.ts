import { describe, expect, it } from "vitest";
import { sha256 } from "./ids";
import { generateSigningKey } from "./keys";
import { AUTH_SCHEME, checkRequestBinding, REQUEST_TTL_S, signRequest } from "./request";
import type { RequestClaims } from "./schemas";
import { verifyToken } from "./tokens/verify";

const NOW = 1_796_320_000;
const WALLET = "wal_RequestWallet000000000";
const BODY = '{"limit":"10000000"}';
const request = { method: "POST", path: "/v1/tabs/tab_RequestTab00000000000/limit", body: BODY };

async function claims(overrides: Partial<RequestClaims> = {}): Promise<RequestClaims> {
  return {
    wal: WALLET,
    htm: "POST",
    htu: request.path,
    bh: await sha256(BODY),
    jti: "RequestTestNonce0001",
    iat: NOW,
    exp: NOW + REQUEST_TTL_S,
    ...overrides,
  };
}

const refusal = (code: string) => ({ name: "OpenTabError", code });

describe("signRequest", () => {
  it("writes an Authorization value whose token binds method, path, body hash and wallet", async () => {
    const key = await generateSigningKey();
    const header = await signRequest({ ...request, method: "POST", wallet: WALLET }, key);
    const [scheme, token] = header.split(" ");
    expect(scheme).toBe(AUTH_SCHEME);
    const verified = await verifyToken("request", token, { key: () => key.publicKey });
    expect(verified.claims).toMatchObject({ htm: "POST", htu: request.path, wal: WALLET });
    expect(verified.claims.bh).toBe(await sha256(BODY));
    expect(verified.claims.exp - verified.claims.iat).toBe(REQUEST_TTL_S);
  });

  it("leaves out the wallet id at registration, before the wallet has one", async () => {
    const key = await generateSigningKey();
    const header = await signRequest({ method: "POST", path: "/v1/wallets", body: "{}" }, key);
    const verified = await verifyToken("request", header.split(" ")[1], {
      key: () => key.publicKey,
    });
    expect(verified.claims.wal).toBeUndefined();
  });

  it("draws a fresh nonce for every request", async () => {
    const key = await generateSigningKey();
    const a = await signRequest({ ...request, method: "POST" }, key);
    const b = await signRequest({ ...request, method: "POST" }, key);
    const jti = async (header: string) =>
      (await verifyToken("request", header.split(" ")[1], { key: () => key.publicKey })).claims.jti;
    expect(await jti(a)).not.toBe(await jti(b));
  });
});

describe("checkRequestBinding", () => {
  it("accepts the request the token was signed for", async () => {
    await expect(checkRequestBinding(await claims(), request, NOW)).resolves.toBeUndefined();
  });

  it("refuses a token signed for another method (request_signature_invalid)", async () => {
    const put = await claims({ htm: "PUT" });
    await expect(checkRequestBinding(put, request, NOW)).rejects.toMatchObject(
      refusal("request_signature_invalid"),
    );
  });

  it("refuses a token signed for another path (request_signature_invalid)", async () => {
    const other = { ...request, path: "/v1/tabs/tab_RequestTab00000000000/close" };
    await expect(checkRequestBinding(await claims(), other, NOW)).rejects.toMatchObject(
      refusal("request_signature_invalid"),
    );
  });

  it("refuses a body other than the signed one (request_body_mismatch)", async () => {
    const other = { ...request, body: '{"limit":"90000000"}' };
    await expect(checkRequestBinding(await claims(), other, NOW)).rejects.toMatchObject(
      refusal("request_body_mismatch"),
    );
  });

  it("refuses a token issued more than 90 s ago (request_stale)", async () => {
    const old = await claims({ iat: NOW - 91, exp: NOW + 600 });
    await expect(checkRequestBinding(old, request, NOW)).rejects.toMatchObject(
      refusal("request_stale"),
    );
  });

  it("refuses a token issued more than 90 s ahead (request_stale)", async () => {
    const ahead = await claims({ iat: NOW + 91, exp: NOW + 151 });
    await expect(checkRequestBinding(ahead, request, NOW)).rejects.toMatchObject(
      refusal("request_stale"),
    );
  });

  it("still accepts a token exactly 90 s old", async () => {
    const edge = await claims({ iat: NOW - 90 });
    await expect(checkRequestBinding(edge, request, NOW)).resolves.toBeUndefined();
  });
});
