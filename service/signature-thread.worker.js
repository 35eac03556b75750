// @ts-check
// The signature thread (see signature-thread.ts). Plain JavaScript because Node 20 does not run a
// worker through the TypeScript loader the rest of the server uses. It holds no rules: the keys
// arrive already checked, and it answers each batch of operations in order.
import { sign, verify } from "node:crypto";
import { parentPort } from "node:worker_threads";

/** @type {Map<number, import("node:crypto").KeyObject>} */
const keys = new Map();
const options = (/** @type {number} */ id) => {
  const key = keys.get(id);
  if (!key) throw new Error(`signature thread holds no key ${id}`);
  return { key, dsaEncoding: /** @type {const} */ ("ieee-p1363") };
};

/** @typedef {{ key: number, input: string, signature?: Uint8Array }} Op */

/** @param {Op} op */
function run(op) {
  if (!op.signature) {
    try {
      return sign("sha256", Buffer.from(op.input), options(op.key));
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }
  // A signature OpenSSL cannot even parse is an invalid one, as on the server's own thread.
  try {
    return verify("sha256", Buffer.from(op.input), options(op.key), op.signature);
  } catch {
    return false;
  }
}

/** @typedef {{ keys: [number, import("node:crypto").KeyObject][], forget: number[], ops: Op[] }} Batch */

parentPort?.on("message", (/** @type {Batch} */ batch) => {
  for (const [id, key] of batch.keys) keys.set(id, key);
  for (const id of batch.forget) keys.delete(id);
  parentPort?.postMessage(batch.ops.map(run));
});
