import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { fail } from "./errors";
import { PublicJwk } from "./schemas";

export interface SigningKey {
  privateKey: CryptoKey;
  /** RFC 7638 thumbprint of the public key; every token names its key by this. */
  kid: string;
}

export interface KeyPair extends SigningKey {
  publicKey: CryptoKey;
  publicJwk: PublicJwk;
}

/**
 * Makes an ES256 key pair. Wallet keys are made non-extractable so a compromised page or
 * extension UI can sign at most while it runs, never copy the key away.
 */
export async function generateSigningKey(extractable = false): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable });
  const publicJwk = await exportPublicJwk(publicKey);
  return { privateKey, publicKey, publicJwk, kid: await thumbprint(publicJwk) };
}

export async function exportPublicJwk(publicKey: CryptoKey): Promise<PublicJwk> {
  const { kty, crv, x, y } = await exportJWK(publicKey);
  return PublicJwk.parse({ kty, crv, x, y });
}

export function thumbprint(jwk: PublicJwk): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, "sha256");
}

/**
 * Refuses a JWK that has the right shape but is no point on P-256 (WebCrypto checks the point
 * on import): a certificate binding such a key would reserve money no receipt can ever spend.
 */
export async function checkPublicKey(jwk: PublicJwk, field: string): Promise<void> {
  try {
    await importPublicKey(jwk);
  } catch {
    fail("invalid_body", `${field}: not a P-256 public key`);
  }
}

// An imported P-256 key holds about 5 KB of native memory: 10,000 keys stay near 50 MB.
const CACHE_LIMIT = 10_000;
const P256 = { name: "ECDSA", namedCurve: "P-256" };

/**
 * The uncompressed point 0x04 || x || y. Importing it is about half the work of importing the
 * JWK (no JSON round trip), and WebCrypto still refuses a point that is not on the curve.
 */
async function importPoint(jwk: PublicJwk): Promise<CryptoKey> {
  const x = base64url.decode(jwk.x);
  const y = base64url.decode(jwk.y);
  if (x.length !== 32 || y.length !== 32) throw new Error("a P-256 coordinate is 32 bytes");
  const point = new Uint8Array(65);
  point[0] = 4;
  point.set(x, 1);
  point.set(y, 33);
  return crypto.subtle.importKey("raw", point, P256, true, ["verify"]);
}
const imported = new Map<string, Promise<CryptoKey>>();

/**
 * Imports a public key once. Certificates repeat the same tab key on every unlock, so the
 * import (an ASN.1 round trip inside WebCrypto) is paid once per key, not once per receipt.
 * `cache: false` imports without keeping the key: a settlement batch names each tab once, and
 * 10,000 cached keys hold about 50 MB of native memory for nothing.
 */
export function importPublicKey(jwk: PublicJwk, cache = true): Promise<CryptoKey> {
  if (!cache) return importPoint(jwk);
  const cacheKey = `${jwk.x}.${jwk.y}`;
  const hit = imported.get(cacheKey);
  if (hit) return hit;
  if (imported.size >= CACHE_LIMIT) {
    const oldest = imported.keys().next().value;
    if (oldest !== undefined) imported.delete(oldest);
  }
  const key = importPoint(jwk);
  imported.set(cacheKey, key);
  key.catch(() => imported.delete(cacheKey));
  return key;
}
