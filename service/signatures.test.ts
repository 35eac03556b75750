import { describe, expect, it } from "vitest";
import { OpenTabError } from "../shared/errors";
import { generateSigningKey } from "../shared/keys";
import { isLowS } from "../shared/tokens/ecdsa";
import { signToken } from "../shared/tokens/sign";
import { verifyToken } from "../shared/tokens/verify";
import { nodeSignatures, threadPoolSignatures } from "./signatures";

const iat = Math.floor(Date.now() / 1000);
const claims = {
  iss: "daily-planet",
  aud: "daily-planet",
  jti: "gr_AAAAAAAAAAAAAAAAAAAAAA",
  tab: "tab_AAAAAAAAAAAAAAAAAAAAAA",
  off: "moon-landing",
  res: "moon-landing",
  iat,
  exp: iat + 600,
};

describe("ES256 through node:crypto", () => {
  it("signs tokens jose verifies and verifies tokens jose signed, each in low-s form", async () => {
    const key = await generateSigningKey();
    const resolve = (kid: string) => (kid === key.kid ? key.publicKey : undefined);
    const byNode = await signToken("grant", claims, key, nodeSignatures);
    const byJose = await signToken("grant", claims, key);
    expect(isLowS(byNode.slice(byNode.lastIndexOf(".") + 1))).toBe(true);
    await expect(verifyToken("grant", byNode, { key: resolve })).resolves.toMatchObject({ claims });
    const verified = verifyToken("grant", byJose, { key: resolve, engine: nodeSignatures });
    await expect(verified).resolves.toMatchObject({ claims });
  });

  it("refuses a token whose payload was changed after signing (token_signature_invalid)", async () => {
    const key = await generateSigningKey();
    const token = await signToken("grant", claims, key, nodeSignatures);
    const [header, , signature] = token.split(".");
    const other = Buffer.from(JSON.stringify({ ...claims, res: "other" })).toString("base64url");
    const forged = `${header}.${other}.${signature}`;
    const error = await verifyToken("grant", forged, {
      key: () => key.publicKey,
      engine: nodeSignatures,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenTabError);
    expect(error).toMatchObject({ code: "token_signature_invalid" });
  });

  it("checks a signing input larger than a megabyte, as a settlement batch is", async () => {
    const key = await generateSigningKey();
    const input = "a".repeat(3_000_000);
    const signature = await nodeSignatures.sign(input, key.privateKey);
    await expect(nodeSignatures.verify(input, signature, key.publicKey)).resolves.toBe(true);
    await expect(nodeSignatures.verify(`${input}b`, signature, key.publicKey)).resolves.toBe(false);
  });

  it("gives the same answers on the thread pool", async () => {
    const key = await generateSigningKey();
    const signature = await threadPoolSignatures.sign("input", key.privateKey);
    await expect(threadPoolSignatures.verify("input", signature, key.publicKey)).resolves.toBe(
      true,
    );
    await expect(threadPoolSignatures.verify("other", signature, key.publicKey)).resolves.toBe(
      false,
    );
  });

  it("checks with an ECDSA public key only, as jose does", async () => {
    const key = await generateSigningKey();
    const signature = await nodeSignatures.sign("input", key.privateKey);
    const ecdh = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, [
      "deriveBits",
    ]);
    await expect(nodeSignatures.verify("input", signature, key.privateKey)).resolves.toBe(false);
    await expect(nodeSignatures.verify("input", signature, ecdh.publicKey)).resolves.toBe(false);
    await expect(nodeSignatures.sign("input", key.publicKey)).rejects.toMatchObject({
      code: "token_key_unknown",
    });
  });
});
