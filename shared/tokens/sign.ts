import { base64url, type JWTPayload, SignJWT } from "jose";
import type { SigningKey } from "../keys";
import { normalizeLowS } from "./ecdsa";
import {
  ALGORITHM,
  type ClaimsOf,
  type SignatureEngine,
  type TokenKind,
  tokenKinds,
} from "./types";

/**
 * Signs a token of the given kind. The claims are checked against the kind's schema first, so
 * no party can emit a token another party would refuse; the signature is emitted in low-s form.
 * Without an engine, jose signs over WebCrypto.
 */
export async function signToken<K extends TokenKind>(
  kind: K,
  claims: ClaimsOf<K>,
  key: SigningKey,
  engine?: SignatureEngine,
): Promise<string> {
  const { typ, schema } = tokenKinds[kind];
  const payload = schema.parse(claims) as JWTPayload;
  const header = { alg: ALGORITHM, typ, kid: key.kid };
  if (engine) return normalizeLowS(await signWith(engine, header, payload, key.privateKey));
  const token = await new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
  return normalizeLowS(token);
}

const encodeJson = (value: object): string =>
  base64url.encode(new TextEncoder().encode(JSON.stringify(value)));

async function signWith(
  engine: SignatureEngine,
  header: object,
  payload: object,
  key: CryptoKey,
): Promise<string> {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  return `${input}.${base64url.encode(await engine.sign(input, key))}`;
}
