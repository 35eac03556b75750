import { createVerify, KeyObject, sign, verify } from "node:crypto";
import { fail } from "../shared/errors";
import type { SignatureEngine } from "../shared/tokens/types";

// In Node 20 WebCrypto's ECDSA runs on the calling thread and, through jose, costs about twice
// what node:crypto does for the same signature (measured for the unlock path).
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

// The same key rules jose applies: an ECDSA key on P-256, of the type the operation needs.
function keyObject(key: CryptoKey, type: "public" | "private"): KeyObject {
  if (key.algorithm.name !== "ECDSA" || key.type !== type) {
    fail("token_key_unknown", `an ES256 ${type} key must be an ECDSA key`);
  }
  const cached = keyObjects.get(key);
  if (cached) return cached;
  const object = KeyObject.from(key);
  if (object.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    fail("token_key_unknown", "an ES256 key must be on P-256");
  }
  keyObjects.set(key, object);
  return object;
}

const P1363 = "ieee-p1363";

// A settlement batch is a 15 MB token: hashing its signing input in slices keeps one copy of it
// in memory rather than two.
const SLICE = 1 << 20;

function verifyInSlices(input: string, signature: Uint8Array, key: CryptoKey): boolean {
  const verifier = createVerify("sha256");
  for (let at = 0; at < input.length; at += SLICE) verifier.update(input.slice(at, at + SLICE));
  return verifier.verify({ key: keyObject(key, "public"), dsaEncoding: P1363 }, signature);
}

/** ES256 through node:crypto on the calling thread; P1363 signatures, as JWS carries them. */
export const nodeSignatures: SignatureEngine = {
  sign: async (input, key) =>
    sign("sha256", Buffer.from(input), { key: keyObject(key, "private"), dsaEncoding: P1363 }),
  verify: async (input, signature, key) => {
    // A signature OpenSSL cannot even parse is an invalid one, not a server fault.
    try {
      if (input.length > SLICE) return verifyInSlices(input, signature, key);
      return verify(
        "sha256",
        Buffer.from(input),
        { key: keyObject(key, "public"), dsaEncoding: P1363 },
        signature,
      );
    } catch {
      return false;
    }
  },
};

/**
 * The same checks on libuv's thread pool. For one receipt per request the hand-off costs more
 * than it saves; for a batch's thousands of line signatures it keeps another core busy while
 * this thread reads the next lines.
 */
export const threadPoolSignatures: SignatureEngine = {
  sign: nodeSignatures.sign,
  verify: (input, signature, key) =>
    new Promise((resolve) => {
      const options = { key: keyObject(key, "public"), dsaEncoding: P1363 } as const;
      verify("sha256", Buffer.from(input), options, signature, (error, valid) =>
        resolve(!error && valid),
      );
    }),
};
