import { base64url, importJWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { generateSigningKey } from "../keys";
import { isLowS, normalizeLowS } from "./ecdsa";
import { signToken } from "./sign";
import { verifySignature, verifyToken } from "./verify";

const refusal = (code: string) => ({ name: "OpenTabError", code });

// RFC 7515 appendix A.3: the ES256 example, its key and its JWS, exactly as published.
const RFC_7515_A3 = {
  jwk: {
    kty: "EC",
    crv: "P-256",
    x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
  },
  jws:
    "eyJhbGciOiJFUzI1NiJ9" +
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ" +
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
};

async function rfcKey(): Promise<CryptoKey> {
  const key = await importJWK(RFC_7515_A3.jwk, "ES256");
  if (!(key instanceof CryptoKey)) throw new TypeError("RFC key did not import");
  return key;
}

describe("verifySignature, the ES256-only low-level path", () => {
  it("verifies the ES256 example of RFC 7515 appendix A.3", async () => {
    const payload = await verifySignature(RFC_7515_A3.jws, await rfcKey());
    const claims = JSON.parse(new TextDecoder().decode(payload));
    expect(claims).toEqual({ iss: "joe", exp: 1300819380, "http://example.com/is_root": true });
  });

  it("also verifies the A.3 signature in low-s form: ECDSA bytes are malleable", async () => {
    expect(isLowS(RFC_7515_A3.jws.split(".")[2] ?? "")).toBe(false);
    const lowS = normalizeLowS(RFC_7515_A3.jws);
    expect(lowS).not.toBe(RFC_7515_A3.jws);
    await expect(verifySignature(lowS, await rfcKey())).resolves.toBeInstanceOf(Uint8Array);
  });

  it("refuses the A.3 token with one payload byte changed (token_signature_invalid)", async () => {
    const [header, payload, signature] = RFC_7515_A3.jws.split(".");
    const edited = base64url.encode(
      new TextDecoder().decode(base64url.decode(payload ?? "")).replace("joe", "eve"),
    );
    const token = `${header}.${edited}.${signature}`;
    await expect(verifySignature(token, await rfcKey())).rejects.toMatchObject(
      refusal("token_signature_invalid"),
    );
  });

  it("refuses the A.3 token under another key (token_signature_invalid)", async () => {
    const other = await generateSigningKey();
    await expect(verifySignature(RFC_7515_A3.jws, other.publicKey)).rejects.toMatchObject(
      refusal("token_signature_invalid"),
    );
  });

  it("refuses any algorithm but ES256 before using the key (token_alg_not_allowed)", async () => {
    const key = await generateSigningKey();
    const hs256 = await new SignJWT({ iss: "joe" })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode("a shared secret of 32 bytes, ok!"));
    await expect(verifySignature(hs256, key.publicKey)).rejects.toMatchObject(
      refusal("token_alg_not_allowed"),
    );
  });

  it("refuses a critical header extension it does not know (token_header_invalid)", async () => {
    const [, payload, signature] = RFC_7515_A3.jws.split(".");
    const header = base64url.encode(JSON.stringify({ alg: "ES256", crit: ["x-new"], "x-new": 1 }));
    const token = `${header}.${payload}.${signature}`;
    await expect(verifySignature(token, await rfcKey())).rejects.toMatchObject(
      refusal("token_header_invalid"),
    );
  });
});

describe("verifyToken around the signature", () => {
  it("refuses the A.3 token itself: it has no OpenTab typ (token_typ_invalid)", async () => {
    const key = await rfcKey();
    await expect(verifyToken("receipt", RFC_7515_A3.jws, { key: () => key })).rejects.toMatchObject(
      refusal("token_typ_invalid"),
    );
  });

  it("refuses a token that is not a string (token_malformed)", async () => {
    const key = await generateSigningKey();
    await expect(verifyToken("receipt", 42, { key: () => key.publicKey })).rejects.toMatchObject(
      refusal("token_malformed"),
    );
  });

  it("refuses a size past the kind's maximum before reading the header (token_too_large)", async () => {
    const key = await generateSigningKey();
    const huge = "!".repeat(5000);
    await expect(verifyToken("grant", huge, { key: () => key.publicKey })).rejects.toMatchObject(
      refusal("token_too_large"),
    );
  });

  it("asks the resolver for the header's kid and nothing else", async () => {
    const key = await generateSigningKey();
    const asked: string[] = [];
    const token = await signToken("request", requestClaims(), key);
    await verifyToken("request", token, {
      key: (kid) => {
        asked.push(kid);
        return key.publicKey;
      },
    });
    expect(asked).toEqual([key.kid]);
  });

  it("refuses when the resolver knows no key for the kid (token_key_unknown)", async () => {
    const key = await generateSigningKey();
    const token = await signToken("request", requestClaims(), key);
    await expect(verifyToken("request", token, { key: () => undefined })).rejects.toMatchObject(
      refusal("token_key_unknown"),
    );
  });

  it("treats exp at exactly now - 30 s as expired and now - 29 s as valid", async () => {
    const key = await generateSigningKey();
    const claims = requestClaims();
    const token = await signToken("request", claims, key);
    const options = (at: number) => ({ key: () => key.publicKey, at });
    await expect(verifyToken("request", token, options(claims.exp + 30))).rejects.toMatchObject(
      refusal("token_expired"),
    );
    await expect(verifyToken("request", token, options(claims.exp + 29))).resolves.toBeDefined();
  });

  it("verifies as of the real clock when no moment is given", async () => {
    const key = await generateSigningKey();
    const stale = requestClaims(-3600);
    const token = await signToken("request", stale, key);
    await expect(verifyToken("request", token, { key: () => key.publicKey })).rejects.toMatchObject(
      refusal("token_expired"),
    );
  });
});

function requestClaims(shift = 0) {
  const iat = Math.floor(Date.now() / 1000) + shift;
  return {
    htm: "GET" as const,
    htu: "/v1/wallet",
    bh: "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
    jti: "VerifyTestNonce00001",
    iat,
    exp: iat + 60,
  };
}
