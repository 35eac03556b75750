import type { Logger } from "../service/logger";
import type { IssuerConfig } from "./config";
import type { IssuerKeys } from "./keys";
import type { IssuerMetrics } from "./metrics";
import type { IssuerStore } from "./store";

/** What every route of one running issuer shares. */
export interface IssuerContext {
  config: IssuerConfig;
  /** The issuer's URL: `iss` of its certificates and statements, `aud` of batches sent to it. */
  url: string;
  store: IssuerStore;
  keys: IssuerKeys;
  now: () => number;
  logger: Logger;
  metrics: IssuerMetrics;
}
