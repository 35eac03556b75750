import { createServer, type Server } from "node:http";
import type { RequestHandler } from "express";
import { IssuerClient } from "../issuer/client";
import { createLogger } from "../service/logger";
import { nodeSignatures } from "../service/signatures";
import type { PublicJwk } from "../shared/schemas";
import { createApp } from "./app";
import { Catalogue } from "./catalogue";
import { type MerchantConfigInput, parseConfig } from "./config";
import { Grants } from "./grants";
import { IssuerKeys } from "./issuer-keys";
import { loadMerchantKey } from "./merchant-key";
import { createMetrics } from "./metrics";
import { Payments } from "./payments";
import { ReceiptThread } from "./receipt-thread";
import { buildReport, type Report } from "./reconciliation";
import { Settlement, type SettlementRun } from "./settlement";
import { PostgresStore } from "./store/postgres";
import { SqliteStore } from "./store/sqlite";
import type { MerchantStore } from "./store/types";

export type { MerchantConfigInput } from "./config";
export type { Report } from "./reconciliation";
export type { SettlementRun } from "./settlement";
export type { MerchantStore } from "./store/types";

export interface RunningMerchant {
  url: string;
  close(): Promise<void>;
  settle(): Promise<SettlementRun>;
  reconciliation(): Promise<Report>;
  store: MerchantStore;
  publicJwk: PublicJwk;
}

export interface StartOptions {
  /** Handlers for the catalogue's paid API routes, by route id (run after payment). */
  apiHandlers?: Record<string, RequestHandler>;
}

const JWKS_TIMEOUT_MS = 5_000;
const SETTLE_TIMEOUT_MS = 60_000;

/** fetch with a deadline and no redirects: the issuer is named by config, never by a reply. */
function boundedFetch(base: typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init) =>
    base(input, { ...init, redirect: "error", signal: AbortSignal.timeout(timeoutMs) });
}

function openStore(store: ReturnType<typeof parseConfig>["store"]): Promise<MerchantStore> {
  return store.kind === "sqlite"
    ? Promise.resolve(new SqliteStore(store.path))
    : PostgresStore.open(store.url);
}

export async function startMerchant(
  input: MerchantConfigInput,
  options: StartOptions = {},
): Promise<RunningMerchant> {
  const config = parseConfig(input);
  const now = config.now ?? Date.now;
  const logger = createLogger(`merchant:${config.merchant}`);
  const metrics = createMetrics();
  const key = await loadMerchantKey(config.keyFile);
  const store = await openStore(config.store);
  const baseFetch = config.issuerFetch ?? ((i, init) => globalThis.fetch(i, init));
  const jwksClient = new IssuerClient(config.issuer.url, boundedFetch(baseFetch, JWKS_TIMEOUT_MS));
  const issuer = new IssuerClient(config.issuer.url, boundedFetch(baseFetch, SETTLE_TIMEOUT_MS));
  const issuerKeys = new IssuerKeys(jwksClient, config.issuer.trustedKeys, logger);
  await issuerKeys.refresh();
  issuerKeys.startRefreshing(config.issuer.refreshSeconds);

  const catalogue = new Catalogue(config.catalogue, config.currency);
  const receipts = new ReceiptThread(key);
  const grants = new Grants(key, config.merchant, nodeSignatures, (claims) =>
    receipts.signGrant(claims),
  );
  const payments = new Payments({
    merchant: config.merchant,
    origins: config.origins,
    catalogue,
    store,
    issuerKeys,
    grants,
    metrics,
    signatures: nodeSignatures,
    receipts,
    now,
  });
  const settlement = new Settlement({
    merchant: config.merchant,
    issuerUrl: config.issuer.url,
    currency: config.currency,
    timeZone: config.timeZone,
    schedule: config.settlement,
    store,
    key,
    issuer,
    issuerKeys,
    metrics,
    logger,
    now,
  });
  const reconciliation = async () => buildReport(config.merchant, await store.batches());

  const server = await listen(
    config.host,
    config.port,
    (publicUrl) =>
      createApp({
        config,
        store,
        grants,
        issuerKeys,
        metrics,
        logger,
        apiHandlers: options.apiHandlers ?? {},
        merchant: config.merchant,
        issuer: config.issuer.url,
        publicUrl,
        catalogue,
        payments,
        settle: () => settlement.run(),
        reconciliation,
      }),
    config.publicUrl,
  );
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;

  // Batches a previous process left pending go again first, with the same id and lines.
  await settlement.resubmit();
  settlement.start();
  logger.info({ url }, "merchant server listening");

  return {
    url,
    store,
    publicJwk: key.publicJwk,
    settle: () => settlement.run(),
    reconciliation,
    async close() {
      settlement.stop();
      issuerKeys.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([store.close(), receipts.close()]);
    },
  };
}

/** Listens first, so a `port: 0` server knows its own URL before the app is built. */
async function listen(
  host: string,
  port: number,
  build: (publicUrl: string) => ReturnType<typeof createApp>,
  publicUrl: string | undefined,
): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  const app = build((publicUrl ?? `http://${host}:${actual}`).replace(/\/+$/, ""));
  server.on("request", app);
  return server;
}
