import { type JWTPayload, SignJWT } from "jose";
import type { SigningKey } from "../keys";
import { normalizeLowS } from "./ecdsa";
import { ALGORITHM, type ClaimsOf, type TokenKind, tokenKinds } from "./types";

/**
 * Signs a token of the given kind. The claims are checked against the kind's schema first, so
 * no party can emit a token another party would refuse; the signature is emitted in low-s form.
 */
export async function signToken<K extends TokenKind>(
  kind: K,
  claims: ClaimsOf<K>,
  key: SigningKey,
): Promise<string> {
  const { typ, schema } = tokenKinds[kind];
  const payload = schema.parse(claims) as JWTPayload;
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: ALGORITHM, typ, kid: key.kid })
    .sign(key.privateKey);
  return normalizeLowS(token);
}
