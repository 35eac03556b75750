import { createHash } from "node:crypto";
import { Router } from "express";
import { parseBody } from "../service/http";
import { nodeSignatures, threadPoolSignatures } from "../service/signatures";
import { fail, OpenTabError } from "../shared/errors";
import { SettleBody } from "../shared/issuer-api";
import { importPublicKey } from "../shared/keys";
import { isWireAmount } from "../shared/money";
import { verifyCertificate, verifyReceipt } from "../shared/payment";
import { type BatchClaims, MerchantId, TabId } from "../shared/schemas";
import { signToken } from "../shared/tokens/sign";
import { type KeyResolver, peekClaims, verifyToken } from "../shared/tokens/verify";
import type { IssuerContext } from "./context";
import type { PreparedLine, StatementBody } from "./store";

/** docs/protocol.md §2.5: a batch holds at most this many lines. */
export const MAX_LINES = 10_000;
const STATEMENT_TTL_S = 400 * 86_400;

type Line = BatchClaims["lines"][number];

// What a refused line reports about itself comes from the unverified receipt, so it is only
// echoed when it has the shape of a tab id, a seq and an amount.
function claimedFacts(peek: Record<string, unknown>): { tab: string; seq: number; cum: bigint } {
  const tab = TabId.safeParse(peek.tab).success ? String(peek.tab) : "";
  const seq =
    typeof peek.seq === "number" && Number.isSafeInteger(peek.seq) && peek.seq > 0 ? peek.seq : 0;
  const cum = typeof peek.cum === "string" && isWireAmount(peek.cum) ? BigInt(peek.cum) : 0n;
  return { tab, seq, cum };
}

/**
 * Verifies one line's certificate (the issuer's own keys, retired ones included) and receipt
 * as of the receipt's time, so a tab that expired within the grace period still settles.
 */
async function prepareLine(
  ctx: IssuerContext,
  merchant: string,
  line: Line,
  now: number,
): Promise<PreparedLine> {
  const peek = peekClaims(line.receipt) ?? {};
  const facts = claimedFacts(peek);
  const iat = peek.iat;
  const at = typeof iat === "number" && iat < now ? iat : now;
  try {
    const issuerKey: KeyResolver = (kid) => ctx.keys.verificationKey(kid, now);
    const certificate = await verifyCertificate(
      line.certificate,
      issuerKey,
      merchant,
      at,
      threadPoolSignatures,
    );
    const { claims } = await verifyReceipt(line.receipt, certificate, {
      at,
      engine: threadPoolSignatures,
      cacheKey: false,
    });
    return {
      ok: true,
      tab: claims.tab,
      seq: claims.seq,
      cum: BigInt(claims.cum),
      receipt: claims,
      tabKid: certificate.tabKid,
    };
  } catch (e: unknown) {
    if (e instanceof OpenTabError) return { ok: false, ...facts, code: e.code };
    throw e;
  }
}

/** Lines in verification at once: enough to keep every core busy, few enough to hold little. */
const VERIFYING = 32;

async function prepareLines(
  ctx: IssuerContext,
  merchant: string,
  lines: Line[],
  now: number,
): Promise<PreparedLine[]> {
  const prepared: PreparedLine[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < lines.length; i = next++) {
      const line = lines[i];
      if (line) prepared[i] = await prepareLine(ctx, merchant, line, now);
    }
  };
  await Promise.all(Array.from({ length: VERIFYING }, worker));
  return prepared;
}

async function verifyBatch(ctx: IssuerContext, batch: string): Promise<BatchClaims> {
  const iss = MerchantId.safeParse(peekClaims(batch)?.iss);
  const merchant = iss.success ? await ctx.store.merchant(iss.data) : undefined;
  if (!merchant) fail("merchant_unknown", "the batch names no registered merchant");

  const keys = await ctx.store.merchantKeys(merchant.id);
  const key: KeyResolver = (kid) => {
    const found = keys.find((k) => k.kid === kid);
    return found ? importPublicKey(found.jwk) : undefined;
  };
  const { claims } = await verifyToken("batch", batch, {
    key,
    audience: ctx.url,
    at: ctx.now(),
    engine: nodeSignatures,
  });
  if (claims.lines.length > MAX_LINES) {
    fail("batch_too_large", `a batch holds at most ${MAX_LINES} lines`);
  }
  return claims;
}

/**
 * What a resubmission must repeat to get the same statement: the currency and every line, each
 * hashed as its own JSON value (self-delimiting), never one more 15 MB string of the batch.
 */
function batchContentHash(batch: BatchClaims): string {
  const hash = createHash("sha256").update(JSON.stringify(batch.cur));
  for (const line of batch.lines) hash.update(JSON.stringify([line.certificate, line.receipt]));
  return hash.digest("base64url");
}

function signStatement(ctx: IssuerContext, batch: BatchClaims, body: StatementBody, now: number) {
  return signToken(
    "statement",
    {
      iss: ctx.url,
      aud: batch.iss,
      bid: batch.bid,
      cur: batch.cur,
      lines: body.lines,
      gross: body.gross.toString(),
      carry_in: body.carryIn.toString(),
      payout: body.payout.toString(),
      carry_out: body.carryOut.toString(),
      iat: now,
      exp: now + STATEMENT_TTL_S,
    },
    ctx.keys.signing(),
  );
}

/** POST /v1/settlements: clears a merchant's signed batch and answers a signed statement. */
export function settlementRoutes(ctx: IssuerContext): Router {
  const router = Router();

  router.post("/v1/settlements", async (req, res) => {
    const { batch } = parseBody(SettleBody, req.body);
    const claims = await verifyBatch(ctx, batch);
    await ctx.keys.refresh();

    const now = ctx.now();
    const lines = await prepareLines(ctx, claims.iss, claims.lines, now);
    const contentHash = batchContentHash(claims);
    const statement = await ctx.store.clearBatch(
      {
        bid: claims.bid,
        merchant: claims.iss,
        currency: claims.cur,
        contentHash,
        lines,
        now,
        grace: ctx.config.graceSeconds,
      },
      (body) => signStatement(ctx, claims, body, now),
    );
    for (const line of lines) {
      ctx.metrics.settlementLines.inc({ status: line.ok ? "verified" : "refused" });
    }
    ctx.logger.info(
      { merchant: claims.iss, bid: claims.bid, lines: lines.length },
      "batch cleared",
    );
    res.json({ statement });
  });

  return router;
}
