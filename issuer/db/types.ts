/**
 * The little SQL the issuer needs, spoken the same way to SQLite and PostgreSQL: `?`
 * placeholders, bigint parameters, and rows whose integer columns may come back as bigint,
 * number or string depending on the driver (read them with `big` and `int`).
 */
export type SqlValue = string | number | bigint | boolean | null;
export type Row = Record<string, unknown>;

export interface Sql {
  all(text: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs a statement and answers how many rows it changed. */
  run(text: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * " FOR UPDATE" where the database locks rows on read (PostgreSQL); "" where it locks the file.
   */
  readonly forUpdate: string;
}

export interface Database {
  readonly kind: "sqlite" | "postgres";
  /** Runs `work` in one transaction: all of it commits, or none of it does. */
  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function big(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?[0-9]+$/.test(value)) return BigInt(value);
  if (value === null) return 0n;
  throw new Error(`database returned a non-integer amount: ${typeof value}`);
}

export function int(value: unknown): number {
  const n = big(value);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error("database returned an integer beyond the safe range");
  }
  return Number(n);
}

export function text(value: unknown): string {
  if (typeof value !== "string") throw new Error("database returned a non-text value");
  return value;
}

export function optionalText(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : text(value);
}
