import express, { type Express } from "express";
import { DEFAULT_BODY_LIMIT, errorHandler, notFound } from "../service/http";
import { OpenTabError } from "../shared/errors";
import { keepRawBody } from "./auth";
import type { IssuerContext } from "./context";
import { directoryRoutes } from "./directory-routes";
import { settlementRoutes } from "./settlement";
import { tabRoutes } from "./tab-routes";
import { walletRoutes } from "./wallet-routes";

/** A batch token is at most 16 MiB (docs/protocol.md §2); the JSON around it adds a little. */
const SETTLEMENT_BODY_LIMIT = 16 * 1024 * 1024 + 1024;

// Like service/http's jsonBody, but it keeps the exact body bytes: wallet requests sign them.
function json(limit: number): express.RequestHandler[] {
  const requireJson: express.RequestHandler = (req, _res, next) => {
    if (req.method !== "POST" || req.is("application/json")) return next();
    next(new OpenTabError("unsupported_media_type", "send application/json"));
  };
  return [requireJson, express.json({ limit, strict: true, verify: keepRawBody })];
}

export function createApp(ctx: IssuerContext): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.use(ctx.metrics.observe);
  app.use("/v1/settlements", json(SETTLEMENT_BODY_LIMIT));
  app.use(json(DEFAULT_BODY_LIMIT));
  app.use(directoryRoutes(ctx));
  app.use(walletRoutes(ctx));
  app.use(tabRoutes(ctx));
  app.use(settlementRoutes(ctx));
  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
