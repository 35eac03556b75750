import { base64url } from "jose";

// Order of the P-256 group. An ECDSA signature (r, s) also verifies as (r, n - s), so a
// signature's bytes are not unique; OpenTab accepts only the low form (s <= n/2).
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = N >> 1n;
const SIZE = 32;

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function toBytes(value: bigint): Uint8Array {
  const bytes = new Uint8Array(SIZE);
  let rest = value;
  for (let i = SIZE - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

// 86 base64url characters carry 516 bits for 512: the last character's four low bits are
// unused, so sixteen spellings decode to the same bytes. Only the canonical one (unused bits
// zero: A, Q, g or w) is a signature.
const CANONICAL_LAST = new Set(["A", "Q", "g", "w"]);

function splitSignature(signature: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]{86}$/.test(signature) || !CANONICAL_LAST.has(signature[85] ?? "")) {
    return undefined;
  }
  return base64url.decode(signature);
}

const HALF_N_BYTES = toBytes(HALF_N);

// Big-endian byte comparison: every receipt and grant passes here, and building two bigints
// per signature cost more than the rest of the header checks together.
function atMostHalfN(s: Uint8Array): boolean {
  for (let i = 0; i < SIZE; i++) {
    const a = s[i] ?? 0;
    const b = HALF_N_BYTES[i] ?? 0;
    if (a !== b) return a < b;
  }
  return true;
}

export function isLowS(signature: string): boolean {
  const raw = splitSignature(signature);
  return raw !== undefined && atMostHalfN(raw.subarray(SIZE));
}

/** Rewrites (r, s) as (r, n - s): the signature stays valid, its bytes change. */
export function flipS(signature: string): string {
  const raw = splitSignature(signature);
  if (!raw) throw new TypeError("not an ES256 signature");
  const flipped = new Uint8Array(raw);
  flipped.set(toBytes(N - toBigInt(raw.subarray(SIZE))), SIZE);
  return base64url.encode(flipped);
}

/** Returns the compact token with its signature in the low-s form. */
export function normalizeLowS(token: string): string {
  const dot = token.lastIndexOf(".");
  const signature = token.slice(dot + 1);
  return isLowS(signature) ? token : `${token.slice(0, dot + 1)}${flipS(signature)}`;
}
