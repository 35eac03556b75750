import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, importJWK } from "jose";
import { z } from "zod";
import { importPublicKey, type SigningKey, thumbprint } from "../../shared/keys";
import { PublicJwk } from "../../shared/schemas";

/**
 * The fixed keys the vectors are signed with. They are TEST-ONLY: committed on purpose so anyone
 * can regenerate and check the vectors, and so no real deployment may ever trust them.
 */
const KEYS_DIR = join(import.meta.dirname, "keys");

const keyNames = [
  "issuer",
  "issuer-rogue",
  "tab-a",
  "tab-b",
  "merchant",
  "merchant-rogue",
  "wallet",
  "wallet-other",
] as const;
type KeyName = (typeof keyNames)[number];

export interface TestKey extends SigningKey {
  publicJwk: PublicJwk;
}

const PrivateJwk = PublicJwk.extend({ d: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });

const keyPath = (name: KeyName) => join(KEYS_DIR, `${name}.test-only.jwk.json`);

async function createKey(name: KeyName): Promise<void> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const { kty, crv, x, y, d } = await exportJWK(privateKey);
  writeFileSync(keyPath(name), `${JSON.stringify({ kty, crv, x, y, d }, null, 2)}\n`);
}

async function readKey(name: KeyName, create: boolean): Promise<TestKey> {
  if (create && !existsSync(keyPath(name))) await createKey(name);
  const { d, ...publicJwk } = PrivateJwk.parse(JSON.parse(readFileSync(keyPath(name), "utf8")));
  const privateKey = await importJWK({ ...publicJwk, d }, "ES256");
  if (!(privateKey instanceof CryptoKey)) throw new TypeError(`${name} did not import as a key`);
  return { privateKey, publicJwk, kid: await thumbprint(publicJwk) };
}

/** Loads the committed keys; the generator creates the missing ones, once, then reuses them. */
export async function loadKeys(create = false) {
  mkdirSync(KEYS_DIR, { recursive: true });
  return {
    issuer: await readKey("issuer", create),
    issuerRogue: await readKey("issuer-rogue", create),
    tabA: await readKey("tab-a", create),
    tabB: await readKey("tab-b", create),
    merchant: await readKey("merchant", create),
    merchantRogue: await readKey("merchant-rogue", create),
    wallet: await readKey("wallet", create),
    walletOther: await readKey("wallet-other", create),
  };
}
export type TestKeys = Awaited<ReturnType<typeof loadKeys>>;

/** Every committed public key by its RFC 7638 thumbprint, imported as a verifier would. */
export async function publicKeyring(): Promise<Map<string, CryptoKey>> {
  const ring = new Map<string, CryptoKey>();
  for (const name of keyNames) {
    const { publicJwk, kid } = await readKey(name, false);
    ring.set(kid, await importPublicKey(publicJwk));
  }
  return ring;
}
