import { base64url } from "jose";
import { flipS, normalizeLowS } from "../../shared/tokens/ecdsa";

/**
 * Builds the tokens an attacker would send. signToken refuses to emit anything the protocol
 * forbids, so tampered tokens are assembled here from raw segments and raw WebCrypto signatures.
 */

const encoder = new TextEncoder();

export const segment = (value: unknown): string => base64url.encode(JSON.stringify(value));

function parts(token: string): [string, string, string] {
  const [header = "", payload = "", signature = ""] = token.split(".");
  return [header, payload, signature];
}

/** Signs `header.payload` with an ES256 key exactly as given, then normalises to low-s. */
export async function signSegments(
  header: string,
  payload: string,
  key: CryptoKey,
): Promise<string> {
  const input = `${header}.${payload}`;
  const algorithm = { name: "ECDSA", hash: "SHA-256" };
  const signature = await crypto.subtle.sign(algorithm, key, encoder.encode(input));
  return normalizeLowS(`${input}.${base64url.encode(new Uint8Array(signature))}`);
}

export function signRaw(header: object, claims: unknown, key: CryptoKey): Promise<string> {
  return signSegments(segment(header), segment(claims), key);
}

/** An HS256 token whose HMAC secret is a public key: the classic algorithm-confusion attack. */
export async function signHs256(header: object, claims: unknown, secret: string): Promise<string> {
  const input = `${segment(header)}.${segment(claims)}`;
  const algorithm = { name: "HMAC", hash: "SHA-256" };
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), algorithm, false, [
    "sign",
  ]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(input));
  return `${input}.${base64url.encode(new Uint8Array(mac))}`;
}

/** `alg: none`: no signature at all, the third segment left empty. */
export const unsigned = (header: object, claims: unknown): string =>
  `${segment(header)}.${segment(claims)}.`;

/** Edits the claims of a signed token and keeps the old signature. */
export function editClaims(token: string, edit: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = parts(token);
  const claims: Record<string, unknown> = JSON.parse(
    new TextDecoder().decode(base64url.decode(payload)),
  );
  edit(claims);
  return `${header}.${segment(claims)}.${signature}`;
}

/** The same signature in its high-s form: still mathematically valid, bytes changed. */
export function highS(token: string): string {
  const [header, payload, signature] = parts(token);
  return `${header}.${payload}.${flipS(signature)}`;
}

export function truncateSignature(token: string): string {
  const [header, payload, signature] = parts(token);
  const raw = base64url.decode(signature);
  return `${header}.${payload}.${base64url.encode(raw.subarray(0, raw.length - 1))}`;
}
