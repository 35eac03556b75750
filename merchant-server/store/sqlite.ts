import Database from "better-sqlite3";
import { ReceiptWriter } from "./receipt-writer";
import {
  type BatchRow,
  type ClaimedLine,
  type ClaimRow,
  INSERT_BATCH,
  INSERT_LINE,
  MARK_BATCHED,
  NEWEST_UNBATCHED,
  OLDEST_UNBATCHED,
  SCHEMA,
  SETTLE_BATCH,
  SETTLE_LINE,
  type StoredLineRow,
  sortedLines,
  toStoredBatches,
} from "./rows";
import type {
  AcceptedReceipt,
  CommitOutcome,
  MerchantStore,
  SettledStatement,
  StoredBatch,
  StoredReceipt,
  StoredTab,
  WindowClaim,
} from "./types";

/** Page cache (negative: KiB) while settling; SQLite's own default is 2,000 KiB. */
const SETTLEMENT_CACHE_KIB = -2000;

/**
 * The embedded store: better-sqlite3 in WAL mode with full sync, so an accepted receipt is on
 * disk before its grant is sent. Receipts are written in groups by a thread of their own
 * (receipt-writer.ts); reads, settlement and reconciliation use this connection.
 */
export class SqliteStore implements MerchantStore {
  readonly #db: Database.Database;
  readonly #writer: ReceiptWriter;
  // The unlock path's statements, prepared once: preparing costs more than running them.
  readonly #tab: Database.Statement<
    [string],
    { currency: string; seq: bigint; cum: bigint; lim: bigint }
  >;
  readonly #receipt: Database.Statement<
    [string, number],
    { payload_hash: string; grant_token: string }
  >;

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = FULL");
    this.#db.pragma("busy_timeout = 5000");
    this.#db.defaultSafeIntegers(true);
    this.#db.exec(SCHEMA);
    this.#tab = this.#db.prepare("SELECT currency, seq, cum, lim FROM tabs WHERE tab = ?");
    this.#receipt = this.#db.prepare(
      "SELECT payload_hash, grant_token FROM receipts WHERE tab = ? AND seq = ?",
    );
    this.#writer = new ReceiptWriter(path);
  }

  async tab(tab: string): Promise<StoredTab | undefined> {
    const row = this.#tab.get(tab);
    if (!row) return undefined;
    return { tab, currency: row.currency, seq: Number(row.seq), cum: row.cum, limit: row.lim };
  }

  async receipt(tab: string, seq: number): Promise<StoredReceipt | undefined> {
    const row = this.#receipt.get(tab, seq);
    return row && { payloadHash: row.payload_hash, grant: row.grant_token };
  }

  commit(receipt: AcceptedReceipt): Promise<CommitOutcome> {
    return this.#writer.commit(receipt);
  }

  async lastWindowEnd(currency: string): Promise<number | undefined> {
    const row = this.#db
      .prepare<[string], { w: bigint | null }>(
        "SELECT MAX(window_end) AS w FROM batches WHERE currency = ?",
      )
      .get(currency);
    return row?.w == null ? undefined : Number(row.w);
  }

  async oldestUnbatched(currency: string): Promise<number | undefined> {
    const row = this.#db.prepare<[string], { t: bigint | null }>(OLDEST_UNBATCHED).get(currency);
    return row?.t == null ? undefined : Number(row.t);
  }

  /**
   * Runs settlement work with a small page cache: a window reads every tab's newest receipt and
   * writes every line once, and the default 16 MB cache would only hold those pages until the
   * process ends (about 14 MB of the merchant's peak memory).
   */
  #lean<T>(work: () => T): T {
    const cacheSize = this.#db.pragma("cache_size", { simple: true });
    this.#db.pragma(`cache_size = ${SETTLEMENT_CACHE_KIB}`);
    try {
      return work();
    } finally {
      this.#db.pragma(`cache_size = ${Number(cacheSize)}`);
    }
  }

  async claimWindow(claim: WindowClaim): Promise<string[]> {
    return this.#lean(() => this.#claim(claim));
  }

  // Immediate: the claim reads, then writes. A deferred transaction whose read snapshot the
  // receipt writer moved on meanwhile cannot upgrade to a write (SQLITE_BUSY_SNAPSHOT), so on a
  // busy merchant settlement would fail again and again.
  #claim(claim: WindowClaim): string[] {
    return this.#db
      .transaction(() => {
        const rows = this.#db
          .prepare<[number, string], ClaimRow>(NEWEST_UNBATCHED)
          .all(claim.end, claim.currency);
        const lines = sortedLines(rows);
        const claimed: string[] = [];
        for (let part = 1; (part - 1) * claim.partSize < lines.length; part++) {
          const bid = claim.bid(part);
          const exists = this.#db.prepare("SELECT 1 FROM batches WHERE bid = ?").get(bid);
          if (exists) continue;
          const slice = lines.slice((part - 1) * claim.partSize, part * claim.partSize);
          this.#insertBatch(bid, claim, `${claim.window}#${part}`, slice);
          claimed.push(bid);
        }
        return claimed;
      })
      .immediate();
  }

  #insertBatch(bid: string, claim: WindowClaim, win: string, lines: ClaimedLine[]): void {
    this.#db.prepare(INSERT_BATCH).run(bid, claim.currency, win, claim.windowEnd, claim.end);
    const line = this.#db.prepare(INSERT_LINE);
    const mark = this.#db.prepare(MARK_BATCHED);
    lines.forEach((l, idx) => {
      const inserted = line.run(bid, idx, l.accepted, l.tab, l.seq);
      if (inserted.changes !== 1) throw new Error(`batch ${bid} lost a line on insert`);
      mark.run(l.seq, l.cum, l.tab);
    });
  }

  async pendingBatches(): Promise<StoredBatch[]> {
    return this.#lean(() => this.#readBatches("WHERE status = 'pending'"));
  }

  async batches(): Promise<StoredBatch[]> {
    return this.#readBatches("");
  }

  #readBatches(where: string): StoredBatch[] {
    const batches = this.#db
      .prepare<[], BatchRow>(`SELECT * FROM batches ${where} ORDER BY created_at, bid`)
      .all();
    const lines = this.#db
      .prepare<[], StoredLineRow>(
        `SELECT * FROM batch_lines WHERE bid IN (SELECT bid FROM batches ${where}) ORDER BY bid, idx`,
      )
      .all();
    return toStoredBatches(batches, lines);
  }

  async recordSubmitError(bid: string, code: string): Promise<void> {
    this.#db.prepare("UPDATE batches SET last_error = ? WHERE bid = ?").run(code, bid);
  }

  async settleBatch(bid: string, s: SettledStatement): Promise<void> {
    this.#lean(() => this.#settle(bid, s));
  }

  #settle(bid: string, s: SettledStatement): void {
    this.#db
      .transaction(() => {
        const updated = this.#db
          .prepare(SETTLE_BATCH)
          .run(s.token, s.gross, s.carryIn, s.payout, s.carryOut, s.settledAt, bid);
        if (updated.changes === 0) return;
        const line = this.#db.prepare(SETTLE_LINE);
        s.lines.forEach((l, idx) => {
          line.run(l.paid, l.status, l.code ?? null, bid, idx);
        });
      })
      .immediate();
  }

  async close(): Promise<void> {
    await this.#writer.close();
    this.#db.close();
  }
}
