import { KeyObject, sign, verify } from "node:crypto";
import { fail } from "../shared/errors";
import type { SignatureEngine } from "../shared/tokens/types";

// node:crypto on the calling thread: in Node 20 WebCrypto's ECDSA runs on the calling thread too,
// but through jose and a JWK/CryptoKey round trip per call; the thread pool variant of node:crypto
// costs more CPU in hand-offs than the curve math it moves (measured in bench/unlock).
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObject(key: CryptoKey): KeyObject {
  const cached = keyObjects.get(key);
  if (cached) return cached;
  const object = KeyObject.from(key);
  const details = object.asymmetricKeyDetails;
  if (object.asymmetricKeyType !== "ec" || details?.namedCurve !== "prime256v1") {
    fail("token_key_unknown", "an ES256 key must be on P-256");
  }
  keyObjects.set(key, object);
  return object;
}

const P1363 = "ieee-p1363";

/** ES256 through node:crypto, for Node services; P1363 signatures, as JWS carries them. */
export const nodeSignatures: SignatureEngine = {
  sign: async (input, key) =>
    sign("sha256", Buffer.from(input), { key: keyObject(key), dsaEncoding: P1363 }),
  verify: async (input, signature, key) => {
    const options = { key: keyObject(key), dsaEncoding: P1363 } as const;
    // A signature OpenSSL cannot even parse is an invalid one, not a server fault.
    try {
      return verify("sha256", Buffer.from(input), options, signature);
    } catch {
      return false;
    }
  },
};
