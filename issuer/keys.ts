import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { exportJWK, importJWK } from "jose";
import { z } from "zod";
import type { IssuerJwk } from "../shared/issuer-api";
import { generateSigningKey, type SigningKey, thumbprint } from "../shared/keys";
import { PublicJwk } from "../shared/schemas";
import { CLOCK_TOLERANCE_S } from "../shared/tokens/types";

/**
 * The issuer's signing keys, kept in a JSON file readable only by its owner. The newest
 * unretired key signs; a retired key stays published (JWKS) until every certificate it signed
 * has expired, and stays usable for verification through the settlement grace after that.
 */

const StoredKey = z.strictObject({
  kid: z.string().min(1),
  public: PublicJwk,
  private: z.strictObject({
    kty: z.literal("EC"),
    crv: z.literal("P-256"),
    x: z.string(),
    y: z.string(),
    d: z.string(),
  }),
  created_at: z.number().int(),
  retired_at: z.number().int().optional(),
});
type StoredKey = z.infer<typeof StoredKey>;
const KeyFile = z.strictObject({ keys: z.array(StoredKey).min(1) });
type KeyFile = z.infer<typeof KeyFile>;

export interface KeyLifetimes {
  /** The longest a certificate lives: the tab TTL. */
  tabTtl: number;
  grace: number;
}

async function newStoredKey(now: number): Promise<StoredKey> {
  const pair = await generateSigningKey(true);
  const { kty, crv, x, y, d } = await exportJWK(pair.privateKey);
  const priv = z
    .strictObject({
      kty: z.literal("EC"),
      crv: z.literal("P-256"),
      x: z.string(),
      y: z.string(),
      d: z.string(),
    })
    .parse({ kty, crv, x, y, d });
  return { kid: pair.kid, public: pair.publicJwk, private: priv, created_at: now };
}

function writeKeyFile(path: string, file: KeyFile): void {
  // A key file's folder (keys/ in the README's config) need not exist before the first start.
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: "w" });
  renameSync(temporary, path);
}

function readKeyFile(path: string): KeyFile {
  return KeyFile.parse(JSON.parse(readFileSync(path, "utf8")));
}

/** Creates the key file with one key when it does not exist yet. */
export async function ensureKeyFile(path: string, now: number): Promise<void> {
  try {
    statSync(path);
  } catch {
    writeKeyFile(path, { keys: [await newStoredKey(now)] });
  }
}

/**
 * Retires the signing key and adds a new one; keys whose certificates have all expired past
 * the grace period are dropped. A running issuer picks the change up on its next request.
 */
export async function rotateKeyFile(
  path: string,
  now: number,
  life: KeyLifetimes,
): Promise<string> {
  const file = readKeyFile(path);
  const kept = file.keys
    .map((key) => (key.retired_at === undefined ? { ...key, retired_at: now } : key))
    .filter((key) => (key.retired_at ?? now) + life.tabTtl + life.grace + CLOCK_TOLERANCE_S >= now);
  const fresh = await newStoredKey(now);
  writeKeyFile(path, { keys: [...kept, fresh] });
  return fresh.kid;
}

interface LoadedKey {
  stored: StoredKey;
  signing: SigningKey;
  publicKey: CryptoKey;
}

async function loadKey(stored: StoredKey): Promise<LoadedKey> {
  const privateKey = await importJWK(stored.private, "ES256");
  const publicKey = await importJWK(stored.public, "ES256");
  if (!(privateKey instanceof CryptoKey) || !(publicKey instanceof CryptoKey)) {
    throw new Error("issuer key file holds a key WebCrypto cannot use");
  }
  if ((await thumbprint(stored.public)) !== stored.kid) {
    throw new Error(`issuer key ${stored.kid} does not match its thumbprint`);
  }
  return { stored, signing: { privateKey, kid: stored.kid }, publicKey };
}

export class IssuerKeys {
  #keys: LoadedKey[] = [];
  #version = "";

  private constructor(
    private readonly path: string,
    private readonly life: KeyLifetimes,
  ) {}

  static async open(path: string, now: number, life: KeyLifetimes): Promise<IssuerKeys> {
    await ensureKeyFile(path, now);
    const keys = new IssuerKeys(path, life);
    await keys.refresh();
    return keys;
  }

  /** Re-reads the key file when it changed on disk (after `keys rotate`). */
  async refresh(): Promise<void> {
    // Rotation replaces the file (a new inode), so this notices it even within one mtime tick.
    const { mtimeMs, ino, size } = statSync(this.path);
    const version = `${mtimeMs}:${ino}:${size}`;
    if (version === this.#version) return;
    this.#keys = await Promise.all(readKeyFile(this.path).keys.map(loadKey));
    this.#version = version;
  }

  signing(): SigningKey {
    const active = this.#keys.filter((key) => key.stored.retired_at === undefined);
    const newest = active.at(-1) ?? this.#keys.at(-1);
    if (!newest) throw new Error("issuer has no signing key");
    return newest.signing;
  }

  /** Verification keys: every key whose certificates may still be presented for settlement. */
  verificationKey(kid: string, now: number): CryptoKey | undefined {
    const key = this.#keys.find((k) => k.stored.kid === kid);
    if (!key) return undefined;
    const horizon = this.life.tabTtl + this.life.grace + CLOCK_TOLERANCE_S;
    const retired = key.stored.retired_at;
    return retired === undefined || retired + horizon >= now ? key.publicKey : undefined;
  }

  /** The JWKS: current keys and retired keys some unexpired certificate may still carry. */
  published(now: number): IssuerJwk[] {
    return this.#keys
      .filter((k) => {
        const retired = k.stored.retired_at;
        return retired === undefined || retired + this.life.tabTtl + CLOCK_TOLERANCE_S >= now;
      })
      .map((k) => ({ ...k.stored.public, kid: k.stored.kid, alg: "ES256", use: "sig" }));
  }
}
