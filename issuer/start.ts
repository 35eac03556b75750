import { createLogger } from "../service/logger";
import { createApp } from "./app";
import { IssuerConfig, type IssuerConfigInput } from "./config";
import type { IssuerContext } from "./context";
import { IssuerKeys } from "./keys";
import { createMetrics } from "./metrics";
import { type IssuerStore, openStore } from "./store";

export type { IssuerConfigInput } from "./config";

export interface RunningIssuer {
  url: string;
  /** The `iss` of this issuer's certificates: its public URL. */
  issuerId: string;
  close(): Promise<void>;
  store: IssuerStore;
  /** Returns the unspent reservation of tabs past expiry + grace; answers how many. */
  releaseExpired(now?: number): Promise<number>;
  /** Thumbprints of the keys the JWKS publishes. */
  keyThumbprints(): string[];
}

const SWEEP_MS = 60_000;
const systemClock = () => Math.floor(Date.now() / 1000);

export async function startIssuer(input: IssuerConfigInput): Promise<RunningIssuer> {
  const config = IssuerConfig.parse(input);
  const now = config.now ?? systemClock;
  const logger = createLogger("issuer");
  const store = await openStore(config.store);
  const keys = await IssuerKeys.open(config.keyFile, now(), {
    tabTtl: config.tabTtlSeconds,
    grace: config.graceSeconds,
  });
  const ctx: IssuerContext = {
    config,
    url: config.publicUrl ?? "",
    store,
    keys,
    now,
    logger,
    metrics: createMetrics(),
  };

  const server = createApp(ctx).listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("issuer is not on TCP");
  const url = `http://${config.host}:${address.port}`;
  ctx.url = (config.publicUrl ?? url).replace(/\/+$/, "");

  const releaseExpired = (at?: number) => store.releaseExpired(at ?? now(), config.graceSeconds);
  // Unspent reservations come back and old nonces go away even when nobody asks.
  const sweep = setInterval(() => {
    Promise.all([releaseExpired(), store.pruneNonces(now())]).catch((e: unknown) =>
      logger.error({ err: e }, "sweep failed"),
    );
  }, SWEEP_MS);
  sweep.unref();
  logger.info({ url, issuer: ctx.url, store: store.kind }, "issuer listening");

  return {
    url,
    issuerId: ctx.url,
    store,
    releaseExpired,
    keyThumbprints: () => keys.published(now()).map((k) => k.kid),
    async close() {
      clearInterval(sweep);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}
