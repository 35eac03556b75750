import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { parseBody } from "../service/http";
import { fail } from "../shared/errors";

const DAY = 86_400;

export const IssuerConfig = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(0).max(65_535).default(0),
  /** The `iss` of certificates and the `aud` merchants put on batches (default: listening URL). */
  publicUrl: z.url().optional(),
  adminToken: z.string().min(16),
  /** Credits test money on request. On in the demo, off unless configured. */
  testFunding: z.boolean().default(false),
  store: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("sqlite"), path: z.string().min(1) }),
    z.strictObject({ kind: z.literal("postgres"), url: z.string().min(1) }),
  ]),
  keyFile: z.string().min(1),
  tabTtlSeconds: z
    .number()
    .int()
    .positive()
    .default(30 * DAY),
  graceSeconds: z
    .number()
    .int()
    .nonnegative()
    .default(7 * DAY),
  /** The clock in seconds; tests move it, production leaves it alone. */
  now: z.custom<() => number>((value) => typeof value === "function").optional(),
});
export type IssuerConfigInput = z.input<typeof IssuerConfig>;
export type IssuerConfig = z.output<typeof IssuerConfig>;

/** Reads a JSON config file; relative paths in it are relative to the file. */
export function loadConfigFile(path: string): IssuerConfigInput {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e: unknown) {
    fail("invalid_json", `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = parseBody(IssuerConfig.omit({ now: true }), raw);
  const base = dirname(resolve(path));
  const store =
    parsed.store.kind === "sqlite"
      ? { kind: "sqlite" as const, path: resolve(base, parsed.store.path) }
      : parsed.store;
  return { ...parsed, store, keyFile: resolve(base, parsed.keyFile) };
}
