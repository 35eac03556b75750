import { base64url, errors, jwtVerify } from "jose";
import { type ErrorCode, fail, OpenTabError } from "../errors";
import { isLowS } from "./ecdsa";
import { ALGORITHM, CLOCK_TOLERANCE_S, type ClaimsOf, type TokenKind, tokenKinds } from "./types";

export type KeyResolver = (kid: string) => Promise<CryptoKey | undefined> | CryptoKey | undefined;

export interface VerifyOptions {
  /** Finds the verification key by the header's `kid`; never a key carried in the token. */
  key: KeyResolver;
  /** When set, the `aud` claim must equal it. */
  audience?: string;
  /** Verify as of this moment (seconds); defaults to now. */
  at?: number;
}

export interface Verified<K extends TokenKind> {
  kid: string;
  claims: ClaimsOf<K>;
}

// The only header members OpenTab tokens may carry. Anything else (jwk, jku, x5c, x5u, crit,
// b64, zip) asks the verifier to change how it finds keys or reads the payload: refused.
const ALLOWED_HEADER = new Set(["alg", "typ", "kid"]);
const SEGMENT = /^[A-Za-z0-9_-]+$/;

const joseCodes: Record<string, ErrorCode> = {
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "token_signature_invalid",
  ERR_JWT_EXPIRED: "token_expired",
  ERR_JWT_CLAIM_VALIDATION_FAILED: "token_claims_invalid",
  ERR_JOSE_ALG_NOT_ALLOWED: "token_alg_not_allowed",
  ERR_JWS_INVALID: "token_malformed",
  ERR_JWT_INVALID: "token_malformed",
};

function readHeader(token: string, maxBytes: number): Record<string, unknown> {
  if (token.length > maxBytes) fail("token_too_large", `token is larger than ${maxBytes} bytes`);
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) {
    fail("token_malformed", "token is not a compact JWS");
  }
  try {
    const header: unknown = JSON.parse(new TextDecoder().decode(base64url.decode(parts[0] ?? "")));
    if (typeof header !== "object" || header === null || Array.isArray(header)) throw 0;
    return header as Record<string, unknown>;
  } catch {
    return fail("token_malformed", "token header is not a JSON object");
  }
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
    const code = joseCodes[error.code] ?? "token_malformed";
    fail(code, code === "token_expired" ? "token has expired" : "token failed verification");
  }
  throw error;
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
  const { payload } = await jwtVerify(token, key, {
    algorithms: [ALGORITHM],
    typ,
    clockTolerance: CLOCK_TOLERANCE_S,
    currentDate: new Date(now * 1000),
    requiredClaims: ["iat", "exp"],
  }).catch(mapJoseError);

  if (typeof payload.iat === "number" && payload.iat > now + CLOCK_TOLERANCE_S) {
    fail("token_issued_in_future", "token is issued in the future");
  }
  const parsed = schema.safeParse(payload);
  if (!parsed.success) fail("token_claims_invalid", "token claims do not match the schema");
  const claims = parsed.data as ClaimsOf<K>;

  if (options.audience !== undefined && payload.aud !== options.audience) {
    fail("token_audience_invalid", "token is meant for another party");
  }
  return { kid, claims };
}

/** Reads claims without verifying; only for display and for choosing which key to use. */
export function peekClaims(token: string): Record<string, unknown> | undefined {
  try {
    const body = token.split(".")[1] ?? "";
    const claims: unknown = JSON.parse(new TextDecoder().decode(base64url.decode(body)));
    return typeof claims === "object" && claims !== null
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
