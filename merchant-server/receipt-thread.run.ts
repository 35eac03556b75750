import { createHash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { nodeSignatures } from "../service/signatures";
import { OpenTabError } from "../shared/errors";
import type { SigningKey } from "../shared/keys";
import { verifyReceipt } from "../shared/payment";
import { signToken } from "../shared/tokens/sign";
import type { Answer, Answers, Batch, CheckedReceipt, Op } from "./receipt-thread";

const { grantKey } = workerData as { grantKey: SigningKey };

async function run(op: Op): Promise<Answer> {
  try {
    if (op.kind === "grant") {
      return { ok: true, value: await signToken("grant", op.claims, grantKey, nodeSignatures) };
    }
    const { claims } = await verifyReceipt(op.token, op.certificate, {
      at: op.at,
      engine: nodeSignatures,
    });
    const payload = op.token.slice(op.token.indexOf(".") + 1, op.token.lastIndexOf("."));
    const payloadHash = createHash("sha256").update(payload).digest("base64url");
    const checked: CheckedReceipt = { claims, payloadHash };
    if (op.grant) checked.grant = await signToken("grant", op.grant, grantKey, nodeSignatures);
    return { ok: true, value: checked };
  } catch (e: unknown) {
    if (e instanceof OpenTabError) {
      return { ok: false, code: e.code, message: e.message, details: e.details };
    }
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

// Batches may finish out of order (a tab key's first import waits on WebCrypto): each answer
// names its batch.
parentPort?.on("message", async ({ id, ops }: Batch) => {
  const answers: Answers = { id, answers: await Promise.all(ops.map(run)) };
  parentPort?.postMessage(answers);
});
