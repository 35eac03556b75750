import pg from "pg";
import {
  ADVANCE_TAB,
  type BatchRow,
  type ClaimedLine,
  type ClaimRow,
  INSERT_BATCH,
  INSERT_RECEIPT,
  NEWEST_UNBATCHED,
  numbered,
  OLDEST_UNBATCHED,
  receiptParams,
  SCHEMA,
  SETTLE_BATCH,
  type StoredLineRow,
  sortedLines,
  toStoredBatches,
  UPSERT_TAB,
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

// Advisory lock keys: schema creation and window claims are serialised across processes.
const SCHEMA_LOCK = 74_001;
const CLAIM_LOCK = 74_002;
const UNIQUE_VIOLATION = "23505";

/**
 * The shared store for several merchant-server processes. The per-tab seq check holds across
 * processes because the tab row moves only `WHERE tab = $1 AND seq = $prev` and (tab, seq) is
 * the receipts' primary key: of two processes accepting the same seq, exactly one commits.
 */
export class PostgresStore implements MerchantStore {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  static async open(url: string): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: 20 });
    const store = new PostgresStore(pool);
    await store.#transaction(async (db) => {
      await db.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
      await db.query(SCHEMA);
    });
    return store;
  }

  async #transaction<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    const db = await this.#pool.connect();
    try {
      await db.query("BEGIN");
      const result = await work(db);
      await db.query("COMMIT");
      return result;
    } catch (e: unknown) {
      await db.query("ROLLBACK");
      throw e;
    } finally {
      db.release();
    }
  }

  async tab(tab: string): Promise<StoredTab | undefined> {
    const { rows } = await this.#pool.query<{
      currency: string;
      seq: string;
      cum: string;
      lim: string;
    }>("SELECT currency, seq, cum, lim FROM tabs WHERE tab = $1", [tab]);
    const row = rows[0];
    if (!row) return undefined;
    return {
      tab,
      currency: row.currency,
      seq: Number(row.seq),
      cum: BigInt(row.cum),
      limit: BigInt(row.lim),
    };
  }

  async receipt(tab: string, seq: number): Promise<StoredReceipt | undefined> {
    const { rows } = await this.#pool.query<{ payload_hash: string; grant_token: string }>(
      "SELECT payload_hash, grant_token FROM receipts WHERE tab = $1 AND seq = $2",
      [tab, seq],
    );
    const row = rows[0];
    return row && { payloadHash: row.payload_hash, grant: row.grant_token };
  }

  async commit(r: AcceptedReceipt): Promise<CommitOutcome> {
    try {
      return await this.#transaction(async (db) => {
        // node-postgres sends a bigint as its decimal string.
        const params = receiptParams(r);
        if (params.upsertTab) await db.query(numbered(UPSERT_TAB), params.upsertTab);
        const moved = await db.query(numbered(ADVANCE_TAB), params.advanceTab);
        if (moved.rowCount === 0) throw new Conflict();
        await db.query(numbered(INSERT_RECEIPT), params.insertReceipt);
        return "committed" as const;
      });
    } catch (e: unknown) {
      if (e instanceof Conflict || isUniqueViolation(e)) return "conflict";
      throw e;
    }
  }

  async lastWindowEnd(currency: string): Promise<number | undefined> {
    const { rows } = await this.#pool.query<{ w: string | null }>(
      "SELECT MAX(window_end) AS w FROM batches WHERE currency = $1",
      [currency],
    );
    const w = rows[0]?.w;
    return w == null ? undefined : Number(w);
  }

  async oldestUnbatched(currency: string): Promise<number | undefined> {
    const { rows } = await this.#pool.query<{ t: string | null }>(numbered(OLDEST_UNBATCHED), [
      currency,
    ]);
    const t = rows[0]?.t;
    return t == null ? undefined : Number(t);
  }

  async claimWindow(claim: WindowClaim): Promise<string[]> {
    return this.#transaction(async (db) => {
      await db.query("SELECT pg_advisory_xact_lock($1)", [CLAIM_LOCK]);
      const { rows } = await db.query<ClaimRow>(numbered(NEWEST_UNBATCHED), [
        claim.end,
        claim.currency,
      ]);
      const lines = sortedLines(rows);
      const claimed: string[] = [];
      for (let part = 1; (part - 1) * claim.partSize < lines.length; part++) {
        const bid = claim.bid(part);
        const exists = await db.query("SELECT 1 FROM batches WHERE bid = $1", [bid]);
        if (exists.rowCount) continue;
        const slice = lines.slice((part - 1) * claim.partSize, part * claim.partSize);
        await insertBatch(db, bid, claim, `${claim.window}#${part}`, slice);
        claimed.push(bid);
      }
      return claimed;
    });
  }

  async pendingBatches(): Promise<StoredBatch[]> {
    return this.#readBatches("WHERE status = 'pending'");
  }

  async batches(): Promise<StoredBatch[]> {
    return this.#readBatches("");
  }

  async #readBatches(where: string): Promise<StoredBatch[]> {
    const batches = await this.#pool.query<BatchRow>(
      `SELECT * FROM batches ${where} ORDER BY created_at, bid`,
    );
    const lines = await this.#pool.query<StoredLineRow>(
      `SELECT * FROM batch_lines WHERE bid IN (SELECT bid FROM batches ${where}) ORDER BY bid, idx`,
    );
    return toStoredBatches(batches.rows, lines.rows);
  }

  async recordSubmitError(bid: string, code: string): Promise<void> {
    await this.#pool.query("UPDATE batches SET last_error = $1 WHERE bid = $2", [code, bid]);
  }

  async settleBatch(bid: string, s: SettledStatement): Promise<void> {
    await this.#transaction(async (db) => {
      const updated = await db.query(numbered(SETTLE_BATCH), [
        s.token,
        s.gross.toString(),
        s.carryIn.toString(),
        s.payout.toString(),
        s.carryOut.toString(),
        s.settledAt,
        bid,
      ]);
      if (updated.rowCount === 0) return;
      await db.query(SETTLE_LINES, [
        bid,
        s.lines.map((_, idx) => idx),
        s.lines.map((l) => l.paid.toString()),
        s.lines.map((l) => l.status),
        s.lines.map((l) => l.code ?? null),
      ]);
    });
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

class Conflict extends Error {}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && "code" in e && e.code === UNIQUE_VIOLATION;
}

// One statement per part for the lines and one for the tabs, the lines given as arrays: a
// window of many tabs costs no round trip per tab.
const INSERT_LINES = `INSERT INTO batch_lines
  (bid, idx, tab, seq, cum, accepted, certificate, receipt)
  SELECT $1, v.idx, t.tab, r.seq, r.cum, v.accepted, t.certificate, r.token
  FROM unnest($2::int[], $3::text[], $4::bigint[], $5::bigint[]) AS v(idx, tab, seq, accepted)
  JOIN tabs t ON t.tab = v.tab JOIN receipts r ON r.tab = v.tab AND r.seq = v.seq`;

const SETTLE_LINES = `UPDATE batch_lines b SET paid = v.paid, status = v.status, code = v.code
  FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[]) AS v(idx, paid, status, code)
  WHERE b.bid = $1 AND b.idx = v.idx`;

const MARK_TABS = `UPDATE tabs t SET batched_seq = v.seq, batched_cum = v.cum
  FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(tab, seq, cum) WHERE t.tab = v.tab`;

async function insertBatch(
  db: pg.PoolClient,
  bid: string,
  claim: WindowClaim,
  win: string,
  lines: ClaimedLine[],
): Promise<void> {
  await db.query(numbered(INSERT_BATCH), [bid, claim.currency, win, claim.windowEnd, claim.end]);
  const tabs = lines.map((l) => l.tab);
  const seqs = lines.map((l) => l.seq);
  const inserted = await db.query(INSERT_LINES, [
    bid,
    lines.map((_, idx) => idx),
    tabs,
    seqs,
    lines.map((l) => l.accepted.toString()),
  ]);
  if (inserted.rowCount !== lines.length) throw new Error(`batch ${bid} lost a line on insert`);
  await db.query(MARK_TABS, [tabs, seqs, lines.map((l) => l.cum.toString())]);
}
