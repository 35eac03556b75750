import BetterSqlite3 from "better-sqlite3";
import { schemaFor } from "./schema";
import type { Database, Row, Sql, SqlValue } from "./types";

const isRow = (value: unknown): value is Row => typeof value === "object" && value !== null;

type Bindable = string | number | bigint | null;
const bind = (params: readonly SqlValue[]): Bindable[] =>
  params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p));

/**
 * SQLite through better-sqlite3: WAL with synchronous=FULL, so a committed transfer survives a
 * power cut. The driver is synchronous and one connection has one transaction at a time, so
 * transactions queue behind each other; work inside one may still await (signing a token).
 */
export function openSqlite(path: string): Database {
  const db = new BetterSqlite3(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  db.exec(schemaFor("sqlite"));

  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (text: string): BetterSqlite3.Statement => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text).safeIntegers(true);
      statements.set(text, statement);
    }
    return statement;
  };

  const sql: Sql = {
    forUpdate: "",
    async all(text, params = []) {
      return prepare(text)
        .all(...bind(params))
        .filter(isRow);
    },
    async run(text, params = []) {
      return Number(prepare(text).run(...bind(params)).changes);
    },
  };

  let queue: Promise<unknown> = Promise.resolve();
  return {
    kind: "sqlite",
    transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
      const run = async (): Promise<T> => {
        db.exec("BEGIN IMMEDIATE");
        try {
          const result = await work(sql);
          db.exec("COMMIT");
          return result;
        } catch (e: unknown) {
          db.exec("ROLLBACK");
          throw e;
        }
      };
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      await queue;
      db.close();
    },
  };
}
