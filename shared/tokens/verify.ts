import { base64url, compactVerify, errors } from "jose";
import { type ErrorCode, fail, OpenTabError } from "../errors";
import { schemaErrorCode } from "../schemas";
import { isLowS } from "./ecdsa";
import {
  ALGORITHM,
  CLOCK_TOLERANCE_S,
  type ClaimsOf,
  type SignatureEngine,
  type TokenKind,
  tokenKinds,
} from "./types";

export type KeyResolver = (kid: string) => Promise<CryptoKey | undefined> | CryptoKey | undefined;

export interface VerifyOptions {
  /** Finds the verification key by the header's `kid`; never a key carried in the token. */
  key: KeyResolver;
  /** When set, the `aud` claim must equal it. */
  audience?: string;
  /** Verify as of this moment (seconds); defaults to now. */
  at?: number;
  /** Checks the signature; defaults to jose over WebCrypto. */
  engine?: SignatureEngine;
}

export interface Verified<K extends TokenKind> {
  kid: string;
  claims: ClaimsOf<K>;
}

// The only header members OpenTab tokens may carry. Anything else (jwk, jku, x5c, x5u, crit,
// b64, zip) asks the verifier to change how it finds keys or reads the payload: refused.
const ALLOWED_HEADER = new Set(["alg", "typ", "kid"]);
const SEGMENT = /^[A-Za-z0-9_-]+$/;
// An empty signature is still a well-formed segment, so `alg: none` is refused by name
// (token_alg_not_allowed) rather than as a malformed token.
const SIGNATURE_SEGMENT = /^[A-Za-z0-9_-]*$/;

const joseCodes: Record<string, ErrorCode> = {
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "token_signature_invalid",
  ERR_JOSE_ALG_NOT_ALLOWED: "token_alg_not_allowed",
  ERR_JOSE_NOT_SUPPORTED: "token_header_invalid",
  ERR_JWS_INVALID: "token_malformed",
};

const decodeJson = (segment: string): unknown =>
  JSON.parse(new TextDecoder().decode(base64url.decode(segment)));

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function readHeader(token: string, maxBytes: number): Record<string, unknown> {
  if (token.length > maxBytes) fail("token_too_large", `token is larger than ${maxBytes} bytes`);
  const parts = token.split(".");
  const [header = "", payload = "", signature = ""] = parts;
  const segmented = SEGMENT.test(header) && SEGMENT.test(payload);
  if (parts.length !== 3 || !segmented || !SIGNATURE_SEGMENT.test(signature)) {
    fail("token_malformed", "token is not a compact JWS");
  }
  let decoded: unknown;
  try {
    decoded = decodeJson(header);
  } catch {
    return fail("token_malformed", "token header is not JSON");
  }
  if (!isObject(decoded)) fail("token_malformed", "token header is not a JSON object");
  return decoded;
}

function checkHeader(header: Record<string, unknown>, typ: string): string {
  if (header.alg !== ALGORITHM) fail("token_alg_not_allowed", "only ES256 is accepted");
  const extra = Object.keys(header).find((name) => !ALLOWED_HEADER.has(name));
  if (extra) fail("token_header_invalid", `header member "${extra}" is not allowed`);
  if (header.typ !== typ) fail("token_typ_invalid", `expected typ ${typ}`);
  if (typeof header.kid !== "string" || header.kid.length === 0 || header.kid.length > 64) {
    fail("token_header_invalid", "header must name its key with kid");
  }
  return header.kid;
}

function mapJoseError(error: unknown): never {
  if (error instanceof OpenTabError) throw error;
  if (error instanceof errors.JOSEError) {
    fail(joseCodes[error.code] ?? "token_malformed", "token failed verification");
  }
  throw error;
}

/**
 * The low-level step of verifyToken: a compact JWS signature check, ES256 only, with a key the
 * caller holds. It applies none of OpenTab's header, low-s, typ or claims rules, so the
 * ES256 example of RFC 7515 appendix A.3 (a high-s signature) passes it as published.
 */
export async function verifySignature(token: string, key: CryptoKey): Promise<Uint8Array> {
  try {
    const { payload } = await compactVerify(token, key, { algorithms: [ALGORITHM] });
    return payload;
  } catch (error: unknown) {
    return mapJoseError(error);
  }
}

// The header was already held to the allow-list (ES256, no crit, no b64), which is all that
// jose's compactVerify adds to the signature check itself.
async function verifyWith(engine: SignatureEngine, token: string, key: CryptoKey) {
  const dot = token.lastIndexOf(".");
  const valid = await engine.verify(
    token.slice(0, dot),
    base64url.decode(token.slice(dot + 1)),
    key,
  );
  if (!valid) fail("token_signature_invalid", "token failed verification");
  return base64url.decode(token.slice(token.indexOf(".") + 1, dot));
}

/** Reads the signed payload and applies the time rules: iat and exp required, 30 s tolerance. */
function readClaims(payload: Uint8Array, now: number): Record<string, unknown> {
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    return fail("token_malformed", "token payload is not JSON");
  }
  if (!isObject(claims)) fail("token_malformed", "token payload is not a JSON object");

  if (typeof claims.iat !== "number" || typeof claims.exp !== "number") {
    fail("token_claims_invalid", "token must carry numeric iat and exp claims");
  }

  if (claims.exp + CLOCK_TOLERANCE_S <= now) fail("token_expired", "token has expired");

  if (claims.iat > now + CLOCK_TOLERANCE_S) {
    fail("token_issued_in_future", "token is issued in the future");
  }
  return claims;
}

/**
 * Verifies a compact JWS of one kind: size before parsing, header allow-list, low-s signature,
 * key by kid from the caller, ES256 only, typ, iat/exp with a 30 s tolerance, then the claims
 * schema. Every failure is an OpenTabError with its own code.
 */
export async function verifyToken<K extends TokenKind>(
  kind: K,
  token: unknown,
  options: VerifyOptions,
): Promise<Verified<K>> {
  const { typ, schema, maxBytes } = tokenKinds[kind];
  if (typeof token !== "string") fail("token_malformed", "token must be a string");
  const kid = checkHeader(readHeader(token, maxBytes), typ);
  if (!isLowS(token.slice(token.lastIndexOf(".") + 1))) {
    fail("signature_not_canonical", "signature must be 64 bytes in low-s form");
  }

  const key = await options.key(kid);
  if (!key) fail("token_key_unknown", "token is signed by a key this party does not trust");

  const now = options.at ?? Math.floor(Date.now() / 1000);
  const signed = options.engine
    ? await verifyWith(options.engine, token, key)
    : await verifySignature(token, key);
  const payload = readClaims(signed, now);
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    fail(schemaErrorCode(parsed.error, "token_claims_invalid"), "token claims do not match");
  }
  const claims = parsed.data as ClaimsOf<K>;

  if (options.audience !== undefined && payload.aud !== options.audience) {
    fail("token_audience_invalid", "token is meant for another party");
  }
  return { kid, claims };
}

/** Reads claims without verifying; only for display and for choosing which key to use. */
export function peekClaims(token: string): Record<string, unknown> | undefined {
  try {
    const claims = decodeJson(token.split(".")[1] ?? "");
    return isObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}
