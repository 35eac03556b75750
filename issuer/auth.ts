import type { IncomingMessage } from "node:http";
import type { Request } from "express";
import { fail, OpenTabError } from "../shared/errors";
import { importPublicKey, thumbprint } from "../shared/keys";
import { AUTH_SCHEME, checkRequestBinding } from "../shared/request";
import type { PublicJwk, RequestClaims } from "../shared/schemas";
import { CLOCK_TOLERANCE_S } from "../shared/tokens/types";
import { type KeyResolver, peekClaims, verifyToken } from "../shared/tokens/verify";
import type { IssuerContext } from "./context";
import type { WalletRecord } from "./store";

/**
 * Wallet request authentication (docs/protocol.md §2.4): the token's signature, its binding to
 * this method, path and exact body bytes, its age, and a nonce the database has never seen.
 */

const rawBodies = new WeakMap<IncomingMessage, string>();

/** The `verify` hook of the JSON parser: keeps the exact bytes the wallet signed. */
export function keepRawBody(req: IncomingMessage, _res: unknown, buffer: Buffer): void {
  rawBodies.set(req, buffer.toString("utf8"));
}

function requestToken(req: Request): string {
  const header = req.get("authorization") ?? "";
  const [scheme, token, ...rest] = header.split(" ");
  if (scheme !== AUTH_SCHEME || !token || rest.length > 0) {
    fail("request_unsigned", "sign the request: Authorization: OpenTab <request token>");
  }
  return token;
}

// A wallet request is judged by request codes, so a client can tell "sign again" (stale) from
// "your signature is wrong" without knowing token internals.
function asRequestError(e: unknown): never {
  if (
    !(e instanceof OpenTabError) ||
    (!e.code.startsWith("token_") && e.code !== "signature_not_canonical")
  ) {
    throw e;
  }
  if (e.code === "token_expired" || e.code === "token_issued_in_future") {
    fail("request_stale", "request token is too old or from the future");
  }
  fail("request_signature_invalid", "request token failed verification");
}

async function verifyRequest(
  ctx: IssuerContext,
  req: Request,
  token: string,
  key: KeyResolver,
): Promise<RequestClaims> {
  const now = ctx.now();
  const { claims } = await verifyToken("request", token, { key, at: now }).catch(asRequestError);
  const body = req.method === "GET" ? "" : (rawBodies.get(req) ?? "");
  await checkRequestBinding(claims, { method: req.method, path: req.originalUrl, body }, now);

  if (!(await ctx.store.useNonce(claims.jti, claims.exp + CLOCK_TOLERANCE_S))) {
    fail("request_replayed", "this request was already received");
  }
  return claims;
}

/** Authenticates a request by a registered wallet; answers the wallet. */
export async function authenticateWallet(ctx: IssuerContext, req: Request): Promise<WalletRecord> {
  const token = requestToken(req);
  const wal = peekClaims(token)?.wal;
  const wallet = typeof wal === "string" ? await ctx.store.wallet(wal) : undefined;
  if (!wallet) fail("wallet_unknown", "no wallet is registered under this id");

  const key: KeyResolver = (kid) =>
    kid === wallet.kid
      ? importPublicKey(wallet.jwk)
      : fail("wallet_unknown", "this key no longer belongs to the wallet");
  const claims = await verifyRequest(ctx, req, token, key);
  if (claims.wal !== wallet.id) fail("wallet_unknown", "request names another wallet");
  return wallet;
}

/** Authenticates a request signed by a key that is not registered yet; answers its thumbprint. */
export async function authenticateNewKey(
  ctx: IssuerContext,
  req: Request,
  jwk: PublicJwk,
): Promise<string> {
  const token = requestToken(req);
  const kid = await thumbprint(jwk);
  const key: KeyResolver = (signer) =>
    signer === kid
      ? importPublicKey(jwk)
      : fail("request_signature_invalid", "the request must be signed by the key it registers");
  const claims = await verifyRequest(ctx, req, token, key);
  if (claims.wal !== undefined) {
    fail("request_signature_invalid", "a registration request names no wallet");
  }
  return kid;
}
