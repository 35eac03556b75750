import { base64url } from "jose";
import { fail } from "./errors";
import { sha256 } from "./ids";
import type { SigningKey } from "./keys";
import type { RequestClaims } from "./schemas";
import { signToken } from "./tokens/sign";
import { CLOCK_TOLERANCE_S } from "./tokens/types";

/** Wallet requests to the issuer carry this header: `Authorization: OpenTab <request token>`. */
export const AUTH_SCHEME = "OpenTab";
/** A signed request is good for one minute, and its nonce is remembered at least that long. */
export const REQUEST_TTL_S = 60;

export interface RequestToSign {
  method: RequestClaims["htm"];
  /** Path and query, e.g. "/v1/tabs". */
  path: string;
  body: string;
  wallet?: string;
}

export async function signRequest(request: RequestToSign, key: SigningKey): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  const claims: RequestClaims = {
    htm: request.method,
    htu: request.path,
    bh: await sha256(request.body),
    jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
    iat,
    exp: iat + REQUEST_TTL_S,
  };
  if (request.wallet) claims.wal = request.wallet;
  return `${AUTH_SCHEME} ${await signToken("request", claims, key)}`;
}

/** Binds a verified request token to the HTTP request it arrived with. */
export async function checkRequestBinding(
  claims: RequestClaims,
  request: { method: string; path: string; body: string },
  now: number,
): Promise<void> {
  if (claims.htm !== request.method || claims.htu !== request.path) {
    fail("request_signature_invalid", "request token was signed for another method or path");
  }
  if (Math.abs(now - claims.iat) > REQUEST_TTL_S + CLOCK_TOLERANCE_S) {
    fail("request_stale", "request token is too old or from the future");
  }
  if (claims.bh !== (await sha256(request.body))) {
    fail("request_body_mismatch", "request body is not the one that was signed");
  }
}
