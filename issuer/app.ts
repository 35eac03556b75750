import express, { type Express } from "express";
import { DEFAULT_BODY_LIMIT, errorHandler, jsonBody, notFound } from "../service/http";
import { keepRawBody } from "./auth";
import type { IssuerContext } from "./context";
import { directoryRoutes } from "./directory-routes";
import { settlementRoutes } from "./settlement";
import { tabRoutes } from "./tab-routes";
import { walletRoutes } from "./wallet-routes";

/** A batch token is at most 16 MiB (docs/protocol.md §2); the JSON around it adds a little. */
const SETTLEMENT_BODY_LIMIT = 16 * 1024 * 1024 + 1024;

export function createApp(ctx: IssuerContext): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.use(ctx.metrics.observe);
  // A batch carries its own signature: no copy of its up to 16 MiB of raw bytes is kept.
  app.use("/v1/settlements", jsonBody(SETTLEMENT_BODY_LIMIT));
  // Wallet requests sign their exact body bytes, so the parser keeps them.
  app.use(jsonBody(DEFAULT_BODY_LIMIT, keepRawBody));
  app.use(directoryRoutes(ctx));
  app.use(walletRoutes(ctx));
  app.use(tabRoutes(ctx));
  app.use(settlementRoutes(ctx));
  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
