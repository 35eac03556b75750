import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { exportJWK, generateKeyPair, importJWK } from "jose";
import { z } from "zod";
import { fail } from "../shared/errors";
import { type KeyPair, thumbprint } from "../shared/keys";
import { PublicJwk } from "../shared/schemas";

/**
 * The merchant's signing key (grants and settlement batches), kept as a private JWK in a file
 * only its owner can read. It is made on first start; `main.ts key` prints the public half to
 * register with the issuer.
 */

const PrivateJwk = z.strictObject({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  d: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

async function createKeyFile(path: string): Promise<void> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const { kty, crv, x, y, d } = await exportJWK(privateKey);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // "wx": never overwrite a key another process wrote in the meantime.
  writeFileSync(path, `${JSON.stringify({ kty, crv, x, y, d })}\n`, { mode: 0o600, flag: "wx" });
}

export async function loadMerchantKey(path: string): Promise<KeyPair> {
  if (!existsSync(path)) await createKeyFile(path);
  const parsed = PrivateJwk.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) fail("invalid_body", `${path} is not a P-256 private JWK`);
  const jwk = parsed.data;
  const publicJwk = PublicJwk.parse({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y });
  const [privateKey, publicKey] = await Promise.all([
    importJWK(jwk, "ES256"),
    importJWK(publicJwk, "ES256"),
  ]);
  if (!(privateKey instanceof CryptoKey) || !(publicKey instanceof CryptoKey)) {
    fail("invalid_body", `${path} does not hold an ES256 key`);
  }
  return { privateKey, publicKey, publicJwk, kid: await thumbprint(publicJwk) };
}
