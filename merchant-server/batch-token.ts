import { createSign, KeyObject } from "node:crypto";
import type { SigningKey } from "../shared/keys";
import type { BatchClaims } from "../shared/schemas";
import { flipS, isLowS } from "../shared/tokens/ecdsa";
import { ALGORITHM, tokenKinds } from "../shared/tokens/types";

// The signing input goes to the hash in slices, never as one more copy of the whole token.
const SLICE = 1 << 20;

/**
 * The claims' JSON written straight into one buffer, a line at a time: each line's JSON is a
 * small string the young generation reclaims at once, where the whole batch as one 13 MB string
 * would stay in the old generation (and in the peak) until a full collection.
 */
function payloadBytes(claims: BatchClaims): Buffer {
  const { lines, ...rest } = claims;
  const head = `${JSON.stringify(rest).slice(0, -1)},"lines":[`;
  const line = (i: number) => {
    const l = lines[i];
    const json = JSON.stringify({ certificate: l?.certificate, receipt: l?.receipt });
    return i === 0 ? json : `,${json}`;
  };
  let size = Buffer.byteLength(head) + 2;
  for (let i = 0; i < lines.length; i++) size += Buffer.byteLength(line(i));
  const bytes = Buffer.allocUnsafe(size);
  let at = bytes.write(head);
  for (let i = 0; i < lines.length; i++) at += bytes.write(line(i), at);
  bytes.write("]}", at);
  return bytes;
}

/**
 * `signToken("batch", …)` with fewer copies of the payload: a 10,000-line batch is a 15 MB token,
 * and base64url over JS strings (what jose does) holds about eight copies of it at once, 120 MB
 * of the merchant's peak memory. The same rules: claims checked against the schema first, ES256,
 * the signature in low-s form.
 */
export function signBatch(claims: BatchClaims, key: SigningKey): string {
  const { typ, schema } = tokenKinds.batch;
  schema.parse(claims);
  const payload = payloadBytes(claims).toString("base64url");
  const header = Buffer.from(JSON.stringify({ alg: ALGORITHM, typ, kid: key.kid })).toString(
    "base64url",
  );
  const signer = createSign("SHA256").update(`${header}.`);
  for (let at = 0; at < payload.length; at += SLICE) {
    signer.update(payload.slice(at, at + SLICE));
  }
  const signature = signer
    .sign({ key: KeyObject.from(key.privateKey), dsaEncoding: "ieee-p1363" })
    .toString("base64url");
  return `${header}.${payload}.${isLowS(signature) ? signature : flipS(signature)}`;
}
