import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { certificateVectors } from "./certificate-cases";
import { type Vector, VectorFile } from "./format";
import { loadKeys, type TestKeys } from "./keys";
import { batchVectors, grantVectors, requestVectors, statementVectors } from "./other-cases";
import { receiptVectors } from "./receipt-cases";

/**
 * Writes the vector files (`npm run vectors`). ECDSA signatures are randomized, so a rerun
 * rewrites every token; the committed output is the reference, and the keys stay fixed.
 */
const files: [string, string, (keys: TestKeys) => Promise<Vector[]>][] = [
  ["certificate", "Tab certificates, checked with verifyCertificate.", certificateVectors],
  [
    "receipt",
    "Receipts with their certificate: verifyCertificate, verifyReceipt, then checkReceipt.",
    receiptVectors,
  ],
  ["grant", "Grants, checked with verifyToken and the merchant as audience.", grantVectors],
  [
    "batch",
    "Settlement batches, checked with verifyToken and the issuer as audience.",
    batchVectors,
  ],
  [
    "statement",
    "Statements, checked with verifyToken and the merchant as audience.",
    statementVectors,
  ],
  [
    "request",
    "Wallet requests: verifyToken, then checkRequestBinding. Codes as shared/ returns them; " +
      "the issuer answers token_* codes as request_stale or request_signature_invalid (§2.4).",
    requestVectors,
  ],
];

const keys = await loadKeys(true);
const names = new Set<string>();
for (const [file, description, build] of files) {
  const content = VectorFile.parse({ description, vectors: await build(keys) });
  for (const { name } of content.vectors) {
    if (names.has(name)) throw new Error(`two vectors are named ${name}`);
    names.add(name);
  }
  writeFileSync(join(import.meta.dirname, `${file}.json`), `${JSON.stringify(content, null, 2)}\n`);
  console.log(`${file}.json: ${content.vectors.length} vectors`);
}
console.log(`${names.size} vectors in all`);
