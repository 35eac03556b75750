import { createSign, KeyObject, type Sign } from "node:crypto";
import type { SigningKey } from "../shared/keys";
import type { BatchClaims } from "../shared/schemas";
import { flipS, isLowS } from "../shared/tokens/ecdsa";
import { ALGORITHM, tokenKinds } from "../shared/tokens/types";

// A multiple of 3 bytes: the base64url of consecutive chunks joins into the base64url of the
// whole, with no padding in between.
const CHUNK = 3 << 20;

/**
 * Base64url of a payload written in pieces: the JSON goes through one reusable 3 MiB buffer,
 * each full chunk is encoded, hashed and appended. Neither the payload's JSON nor its bytes ever
 * exist whole; only the encoded token does.
 */
class Base64urlWriter {
  readonly #chunk = Buffer.allocUnsafe(CHUNK);
  #used = 0;
  #encoded = "";

  constructor(private readonly signer: Sign) {}

  write(text: string): void {
    // Most lines fit the chunk whole and are written with no buffer of their own.
    if (Buffer.byteLength(text) < CHUNK - this.#used) {
      this.#used += this.#chunk.write(text, this.#used);
      return;
    }
    let bytes = Buffer.from(text);
    while (bytes.length > 0) {
      const copied = bytes.copy(this.#chunk, this.#used);
      this.#used += copied;
      bytes = bytes.subarray(copied);
      if (this.#used === CHUNK) this.#flush();
    }
  }

  end(): string {
    this.#flush();
    return this.#encoded;
  }

  #flush(): void {
    if (this.#used === 0) return;
    const piece = this.#chunk.toString("base64url", 0, this.#used);
    this.signer.update(piece);
    this.#encoded += piece;
    this.#used = 0;
  }
}

/** The claims' JSON, a line at a time: each line is a small string, reclaimed at once. */
function writePayload(claims: BatchClaims, out: Base64urlWriter): void {
  const { lines, ...rest } = claims;
  out.write(`${JSON.stringify(rest).slice(0, -1)},"lines":[`);
  lines.forEach((l, i) => {
    const json = JSON.stringify({ certificate: l.certificate, receipt: l.receipt });
    out.write(i === 0 ? json : `,${json}`);
  });
  out.write("]}");
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
  const header = Buffer.from(JSON.stringify({ alg: ALGORITHM, typ, kid: key.kid })).toString(
    "base64url",
  );
  const signer = createSign("SHA256").update(`${header}.`);
  const out = new Base64urlWriter(signer);
  writePayload(claims, out);
  const payload = out.end();
  const signature = signer
    .sign({ key: KeyObject.from(key.privateKey), dsaEncoding: "ieee-p1363" })
    .toString("base64url");
  return `${header}.${payload}.${isLowS(signature) ? signature : flipS(signature)}`;
}
