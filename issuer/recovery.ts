import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { base64url } from "jose";

/**
 * Recovery codes. A code is the wallet's 22-character id suffix followed by 22 characters of
 * secret (128 random bits), so the issuer can find the wallet without storing anything it could
 * match quickly; the secret is kept only as a salted scrypt hash and compared in constant time.
 */

const SECRET_BYTES = 16;
const ID_CHARS = 22;
// N = 2^14, r = 8: about 16 MiB and tens of milliseconds per guess, per wallet salt.
const SCRYPT = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const HASH_BYTES = 32;

function derive(secret: string, salt: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, Buffer.from(salt, "base64url"), HASH_BYTES, SCRYPT, (e, key) =>
      e ? reject(e) : resolve(key),
    ),
  );
}

export interface RecoverySecret {
  /** Shown to the reader once. */
  code: string;
  salt: string;
  hash: string;
}

export async function newRecoveryCode(wallet: string): Promise<RecoverySecret> {
  const secret = base64url.encode(randomBytes(SECRET_BYTES));
  const salt = randomBytes(16).toString("base64url");
  const hash = (await derive(secret, salt)).toString("base64url");
  return { code: `${wallet.slice("wal_".length)}${secret}`, salt, hash };
}

/** The wallet a code claims to open; undefined for a code of the wrong shape. */
export function walletOfCode(code: string): string | undefined {
  return code.length === ID_CHARS * 2 ? `wal_${code.slice(0, ID_CHARS)}` : undefined;
}

export async function codeMatches(code: string, salt: string, hash: string): Promise<boolean> {
  const expected = Buffer.from(hash, "base64url");
  const actual = await derive(code.slice(ID_CHARS), salt);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
