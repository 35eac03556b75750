import { describe, expect, it } from "vitest";
import { generateSigningKey } from "../keys";
import { flipS, isLowS, normalizeLowS } from "./ecdsa";
import { signToken } from "./sign";
import { verifySignature } from "./verify";

async function sampleToken(): Promise<{ token: string; publicKey: CryptoKey }> {
  const key = await generateSigningKey();
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    htm: "GET" as const,
    htu: "/v1/wallet",
    bh: "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
    jti: "EcdsaTestNonce000001",
    iat,
    exp: iat + 60,
  };
  return { token: await signToken("request", claims, key), publicKey: key.publicKey };
}

const signatureOf = (token: string) => token.slice(token.lastIndexOf(".") + 1);

describe("low-s signatures", () => {
  it("flips s into the high form, which still verifies: bytes are not an identity", async () => {
    const { token, publicKey } = await sampleToken();
    const high = `${token.slice(0, token.lastIndexOf(".") + 1)}${flipS(signatureOf(token))}`;
    expect(isLowS(signatureOf(high))).toBe(false);
    await expect(verifySignature(high, publicKey)).resolves.toBeInstanceOf(Uint8Array);
  });

  it("gets the original back when flipping twice", async () => {
    const { token } = await sampleToken();
    expect(flipS(flipS(signatureOf(token)))).toBe(signatureOf(token));
  });

  it("normalises a high-s token to the low form and leaves a low-s token alone", async () => {
    const { token } = await sampleToken();
    const high = `${token.slice(0, token.lastIndexOf(".") + 1)}${flipS(signatureOf(token))}`;
    expect(normalizeLowS(high)).toBe(token);
    expect(normalizeLowS(token)).toBe(token);
  });

  it("does not call a signature of the wrong length low-s", () => {
    expect(isLowS("")).toBe(false);
    expect(isLowS("A".repeat(85))).toBe(false);
    expect(isLowS("A".repeat(88))).toBe(false);
  });

  it("does not call another spelling of the same signature bytes low-s", async () => {
    const signature = signatureOf((await sampleToken()).token);
    const last = signature.at(-1) ?? "";
    // The last character's four low bits are unused: the next letter decodes to the same bytes.
    const respelled = `${signature.slice(0, -1)}${String.fromCharCode(last.charCodeAt(0) + 1)}`;
    expect(isLowS(signature)).toBe(true);
    expect(isLowS(respelled)).toBe(false);
  });

  it("refuses to flip what is not a 64-byte signature", () => {
    expect(() => flipS("short")).toThrow(TypeError);
  });
});
