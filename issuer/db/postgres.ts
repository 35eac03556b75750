import pg from "pg";
import { schemaFor } from "./schema";
import type { Database, Sql, SqlValue } from "./types";

// Deadlocks and serialization failures are PostgreSQL asking the client to try again.
const RETRYABLE = new Set(["40001", "40P01"]);
const ATTEMPTS = 3;

function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

const toParam = (p: SqlValue): string | number | boolean | null =>
  typeof p === "bigint" ? p.toString() : p;

function isRetryable(e: unknown): boolean {
  return typeof e === "object" && e !== null && "code" in e && RETRYABLE.has(String(e.code));
}

function sqlFor(client: pg.PoolClient): Sql {
  return {
    forUpdate: " FOR UPDATE",
    async all(text, params = []) {
      return (await client.query(numbered(text), params.map(toParam))).rows;
    },
    async run(text, params = []) {
      return (await client.query(numbered(text), params.map(toParam))).rowCount ?? 0;
    },
  };
}

/** PostgreSQL through a pg Pool; each transaction holds one pooled connection, READ COMMITTED. */
export async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query(schemaFor("postgres"));

  async function attempt<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(sqlFor(client));
      await client.query("COMMIT");
      return result;
    } catch (e: unknown) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  return {
    kind: "postgres",
    async transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
      for (let left = ATTEMPTS; ; left--) {
        try {
          return await attempt(work);
        } catch (e: unknown) {
          if (left <= 1 || !isRetryable(e)) throw e;
        }
      }
    },
    close: () => pool.end(),
  };
}
