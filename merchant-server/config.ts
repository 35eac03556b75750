import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { IANAZone } from "luxon";
import { z } from "zod";
import { parseBody } from "../service/http";
import { fail } from "../shared/errors";
import { Currency, MerchantId, Name, Origin, PositiveAmount } from "../shared/schemas";

/** The merchant server's configuration file, checked at start (docs/protocol.md §4). */

const Thumbprint = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const Title = z.string().min(1).max(200);

const Resource = z.strictObject({
  id: Name,
  title: Title,
  price: PositiveAmount,
  teaser: z.string().max(100_000),
  content: z.string().max(4 * 1024 * 1024),
  scopes: z.array(Name).max(16).default([]),
});

const Pass = z.strictObject({
  id: Name,
  title: Title,
  scope: Name,
  durationSeconds: z.number().int().positive().max(31_536_000),
  price: PositiveAmount,
});

const Api = z.strictObject({
  id: Name,
  title: Title,
  method: z.enum(["GET", "POST", "PUT", "DELETE"]),
  path: z.string().regex(/^\/[A-Za-z0-9._~\-/:]*$/),
  price: PositiveAmount,
});

const Catalogue = z
  .strictObject({
    resources: z.array(Resource).max(10_000).default([]),
    passes: z.array(Pass).max(100).default([]),
    apis: z.array(Api).max(100).default([]),
  })
  .refine(
    (c) => {
      const ids = [...c.resources, ...c.passes, ...c.apis].map((entry) => entry.id);
      return new Set(ids).size === ids.length;
    },
    { message: "resource, pass and api ids must be distinct: each names one offer" },
  );

const Settlement = z.union([
  z.strictObject({ everySeconds: z.number().int().min(1).max(31_536_000) }),
  z.strictObject({ dailyAt: z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/) }),
]);

const Store = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("sqlite"), path: z.string().min(1) }),
  z.strictObject({ kind: z.literal("postgres"), url: z.string().min(1) }),
]);

export const MerchantConfigSchema = z.strictObject({
  merchant: MerchantId,
  name: Title,
  origins: z.array(Origin).min(1).max(32),
  currency: Currency,
  timeZone: z
    .string()
    .refine((zone) => IANAZone.isValidZone(zone), { message: "an IANA time zone" })
    .default("UTC"),
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(0),
  publicUrl: z.url().optional(),
  adminToken: z.string().min(16).max(256),
  keyFile: z.string().min(1),
  issuer: z.strictObject({
    url: z.url(),
    trustedKeys: z.array(Thumbprint).max(64),
    refreshSeconds: z.number().int().min(1).max(86_400).default(300),
  }),
  store: Store,
  catalogue: Catalogue,
  settlement: Settlement.optional(),
  staticDir: z.string().min(1).optional(),
});

/** Options only a test passes; a config file cannot carry functions. */
export interface TestHooks {
  /** Now, in milliseconds since the epoch, like Date.now. */
  now?: () => number;
  /** The fetch used for calls to the issuer (lets a test lose a reply on the way back). */
  issuerFetch?: typeof fetch;
}

export type MerchantConfigInput = z.input<typeof MerchantConfigSchema> & TestHooks;
export type MerchantConfig = z.output<typeof MerchantConfigSchema> & TestHooks;
export type CatalogueConfig = MerchantConfig["catalogue"];
export type SettlementConfig = NonNullable<MerchantConfig["settlement"]>;

export function parseConfig(input: MerchantConfigInput): MerchantConfig {
  const { now, issuerFetch, ...file } = input;
  return { ...checkConfig(file), ...(now ? { now } : {}), ...(issuerFetch ? { issuerFetch } : {}) };
}

function checkConfig(file: unknown): z.output<typeof MerchantConfigSchema> {
  return parseBody(MerchantConfigSchema, file);
}

/** Reads a JSON config file; relative paths in it are relative to the file, not the cwd. */
export function loadConfigFile(path: string): MerchantConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e: unknown) {
    fail("invalid_json", `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const config = checkConfig(raw);
  const base = dirname(resolve(path));
  const store =
    config.store.kind === "sqlite"
      ? { kind: "sqlite" as const, path: resolve(base, config.store.path) }
      : config.store;
  return {
    ...config,
    keyFile: resolve(base, config.keyFile),
    store,
    ...(config.staticDir ? { staticDir: resolve(base, config.staticDir) } : {}),
  };
}
