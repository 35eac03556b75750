import { createHash } from "node:crypto";
import { DateTime } from "luxon";
import type { IssuerClient } from "../issuer/client";
import type { Logger } from "../service/logger";
import { fail, OpenTabError } from "../shared/errors";
import type { KeyPair } from "../shared/keys";
import type { StatementClaims } from "../shared/schemas";
import { verifyToken } from "../shared/tokens/verify";
import { signBatch } from "./batch-token";
import type { SettlementConfig } from "./config";
import type { IssuerKeys } from "./issuer-keys";
import type { Metrics } from "./metrics";
import type { MerchantStore, StoredBatch } from "./store/types";

/** Lines per batch (protocol §2.5). */
export const BATCH_PART_SIZE = 10_000;
const BATCH_TTL_S = 86_400;

export interface BatchOutcome {
  bid: string;
  currency: string;
  win: string;
  status: "pending" | "settled";
  payout?: bigint;
  carryOut?: bigint;
  /** Why a pending batch is still pending: the issuer's code, or issuer_unavailable. */
  error?: string;
}

export interface SettlementRun {
  batches: BatchOutcome[];
}

export interface SettlementDeps {
  merchant: string;
  issuerUrl: string;
  currency: string;
  timeZone: string;
  schedule: SettlementConfig | undefined;
  store: MerchantStore;
  key: KeyPair;
  issuer: IssuerClient;
  issuerKeys: IssuerKeys;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
}

/** A batch as submitted: which receipt each line ends at, without the tokens. */
interface SentBatch {
  bid: string;
  currency: string;
  win: string;
  lines: { tab: string; seq: number; cum: bigint }[];
}

const outcome = (batch: SentBatch) => ({
  bid: batch.bid,
  currency: batch.currency,
  win: batch.win,
});

/**
 * The same batch id as shared/ids.ts `batchId`, computed synchronously so a window's batches
 * can be claimed inside one SQLite transaction (better-sqlite3 transactions cannot await).
 */
export function batchIdSync(merchant: string, currency: string, win: string): string {
  const digest = createHash("sha256")
    .update(`${merchant}\n${currency}\n${win}`)
    .digest("base64url");
  return `bat_${digest.slice(0, 32)}`;
}

/**
 * Settlement (protocol §2.5, §2.6): claim the window's receipts into pending batches (stored
 * before anything is sent), submit each pending batch, verify and store the statement. A
 * batch whose submission fails or times out stays pending and is sent again, same id, same
 * lines; it is never rebuilt.
 */
export class Settlement {
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: SettlementDeps) {}

  /** Claims the current window, then submits every pending batch; runs never overlap. */
  run(): Promise<SettlementRun> {
    return this.#serial(async () => {
      await this.#claim();
      return this.#submitPending();
    });
  }

  /** Submits batches left pending by an earlier run or process (at start). */
  resubmit(): Promise<SettlementRun> {
    return this.#serial(() => this.#submitPending());
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #claim(): Promise<void> {
    const { store, currency, merchant } = this.deps;
    const window = await this.#window();
    if (!window) return;
    await store.claimWindow({
      currency,
      end: window.end,
      windowEnd: window.end,
      window: window.label,
      bid: (part) => batchIdSync(merchant, currency, `${window.label}#${part}`),
      partSize: BATCH_PART_SIZE,
    });
  }

  /**
   * Daily: the local day before today's start, in the merchant's time zone. Otherwise: from
   * the end of the previous window (or the oldest unbatched receipt) to now.
   */
  async #window(): Promise<{ label: string; end: number } | undefined> {
    const { schedule, timeZone, store, currency } = this.deps;
    const now = DateTime.fromMillis(this.deps.now(), { zone: timeZone });
    if (schedule && "dailyAt" in schedule) {
      const end = now.startOf("day");
      return { label: `${end.minus({ days: 1 }).toISO()}/${end.toISO()}`, end: end.toMillis() };
    }
    const end = now;
    const start = (await store.lastWindowEnd(currency)) ?? (await store.oldestUnbatched(currency));
    if (start === undefined) return undefined;
    const from = DateTime.fromMillis(Math.min(start, end.toMillis()), { zone: timeZone });
    return { label: `${from.toISO()}/${end.toISO()}`, end: end.toMillis() };
  }

  async #submitPending(): Promise<SettlementRun> {
    const pending = await this.deps.store.pendingBatches();
    const batches: BatchOutcome[] = [];
    // A batch leaves the list as it is sent, so its tokens (15 MB for 10,000 lines) are garbage
    // while the issuer answers and before the next batch is signed.
    for (let batch = pending.shift(); batch; batch = pending.shift()) {
      batches.push(await this.#submit(batch));
    }
    return { batches };
  }

  /** Signs the batch and keeps only what checking the statement needs, not the tokens. */
  #submit(batch: StoredBatch): Promise<BatchOutcome> {
    const sent: SentBatch = {
      bid: batch.bid,
      currency: batch.currency,
      win: batch.win,
      lines: batch.lines.map(({ tab, seq, cum }) => ({ tab, seq, cum })),
    };
    try {
      return this.#send(sent, this.#sign(batch));
    } catch (e: unknown) {
      return this.#stillPending(sent, e);
    }
  }

  async #send(batch: SentBatch, token: string): Promise<BatchOutcome> {
    const { store, metrics, logger } = this.deps;
    try {
      const { statement } = await this.deps.issuer.settle(token);
      const claims = await this.#verifyStatement(statement, batch);
      await store.settleBatch(batch.bid, {
        token: statement,
        gross: BigInt(claims.gross),
        carryIn: BigInt(claims.carry_in),
        payout: BigInt(claims.payout),
        carryOut: BigInt(claims.carry_out),
        settledAt: this.deps.now(),
        lines: claims.lines.map((l) => ({
          paid: BigInt(l.paid),
          status: l.status,
          ...(l.code === undefined ? {} : { code: l.code }),
        })),
      });
      metrics.batches.inc({ outcome: "settled" });
      logger.info({ bid: batch.bid, lines: batch.lines.length }, "batch settled");
      const settled = { payout: BigInt(claims.payout), carryOut: BigInt(claims.carry_out) };
      return { ...outcome(batch), status: "settled", ...settled };
    } catch (e: unknown) {
      return this.#stillPending(batch, e);
    }
  }

  // A timeout or an unreadable answer is an unknown outcome, never a failure: the batch stays
  // pending and goes again with the same id and lines.
  async #stillPending(batch: SentBatch, e: unknown): Promise<BatchOutcome> {
    const { store, metrics, logger } = this.deps;
    const code = e instanceof OpenTabError ? e.code : "issuer_unavailable";
    await store.recordSubmitError(batch.bid, code);
    metrics.batches.inc({ outcome: code === "issuer_unavailable" ? "unknown" : "refused" });
    logger.warn({ bid: batch.bid, code }, "batch still pending");
    return { ...outcome(batch), status: "pending", error: code };
  }

  /** Signed afresh on each attempt (a batch token lives a day); the lines never change. */
  #sign(batch: StoredBatch): string {
    const iat = Math.floor(this.deps.now() / 1000);
    return signBatch(
      {
        iss: this.deps.merchant,
        aud: this.deps.issuerUrl,
        bid: batch.bid,
        cur: batch.currency,
        win: batch.win,
        lines: batch.lines.map((l) => ({ certificate: l.certificate, receipt: l.receipt })),
        iat,
        exp: iat + BATCH_TTL_S,
      },
      this.deps.key,
    );
  }

  async #verifyStatement(token: string, batch: SentBatch): Promise<StatementClaims> {
    const { claims } = await verifyToken("statement", token, {
      key: this.deps.issuerKeys.resolve,
      audience: this.deps.merchant,
      at: Math.floor(this.deps.now() / 1000),
    });
    const sameLines =
      claims.lines.length === batch.lines.length &&
      claims.lines.every((l, i) => {
        const ours = batch.lines[i];
        return ours && l.tab === ours.tab && l.seq === ours.seq && BigInt(l.cum) === ours.cum;
      });
    if (claims.bid !== batch.bid || claims.cur !== batch.currency || !sameLines) {
      fail("issuer_unavailable", "the issuer's statement does not match the batch");
    }
    return claims;
  }

  /** Schedules runs: every N seconds, or daily at a local time in the merchant's zone. */
  start(): void {
    const { schedule } = this.deps;
    if (!schedule) return;
    const tick = () =>
      void this.run().catch((e: unknown) => {
        this.deps.logger.error({ err: e instanceof Error ? e.message : String(e) }, "settle run");
      });
    if ("everySeconds" in schedule) {
      this.#timer = setInterval(tick, schedule.everySeconds * 1000);
      return;
    }
    const [hour = 0, minute = 0] = schedule.dailyAt.split(":").map(Number);
    const scheduleNext = () => {
      const now = DateTime.now().setZone(this.deps.timeZone);
      let next = now.set({ hour, minute, second: 0, millisecond: 0 });
      if (next <= now) next = next.plus({ days: 1 });
      this.#timer = setTimeout(() => {
        tick();
        scheduleNext();
      }, next.toMillis() - now.toMillis());
    };
    scheduleNext();
  }

  stop(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#timer);
  }
}
