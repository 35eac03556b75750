import { existsSync } from "node:fs";
import { resolve } from "node:path";
import express, { type Express, type RequestHandler, type Router } from "express";
import {
  adminOnly,
  errorHandler,
  jsonBody,
  notFound,
  parseBody,
  requestLog,
} from "../service/http";
import type { Logger } from "../service/logger";
import { fail, OpenTabError } from "../shared/errors";
import { AccessBody, PAYMENT_HEADER, UnlockBody } from "../shared/merchant-api";
import { Name, TabId } from "../shared/schemas";
import type { MerchantConfig } from "./config";
import type { Grants } from "./grants";
import type { IssuerKeys } from "./issuer-keys";
import type { Metrics } from "./metrics";
import { type PaidRouteContext, requirePayment } from "./paid-route";
import { type Report, reportCsv, reportJson } from "./reconciliation";
import type { SettlementRun } from "./settlement";
import type { MerchantStore } from "./store/types";

export interface AppContext extends PaidRouteContext {
  config: MerchantConfig;
  store: MerchantStore;
  grants: Grants;
  issuerKeys: IssuerKeys;
  metrics: Metrics;
  logger: Logger;
  /** Handlers for the catalogue's paid API routes, by route id; a default answers otherwise. */
  apiHandlers: Record<string, RequestHandler>;
  settle(): Promise<SettlementRun>;
  reconciliation(): Promise<Report>;
}

const SNIPPET = resolve(import.meta.dirname, "../dist/snippet/snippet.js");

export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(requestLog(ctx.logger));
  app.use(cors(ctx.config.origins));
  app.use(jsonBody());

  app.get("/healthz", (_req, res) => {
    const ok = ctx.issuerKeys.available;
    res.status(ok ? 200 : 503).json({ ok, issuer_keys: ok ? "ok" : "unavailable" });
  });
  // Payment counts by outcome are the merchant's business: Prometheus scrapes with the token.
  app.get("/metrics", adminOnly(ctx.config.adminToken), async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  app.get("/snippet.js", (_req, res, next) => {
    if (!existsSync(SNIPPET)) return next(new OpenTabError("not_found", "snippet is not built"));
    res.type("text/javascript").sendFile(SNIPPET);
  });
  app.use(publicRoutes(ctx));
  app.use("/v1/admin", adminRoutes(ctx));
  for (const api of ctx.catalogue.apis()) {
    const handler = ctx.apiHandlers[api.id] ?? defaultApiHandler(api.id);
    app[routeMethod(api.method)](api.path, requirePayment(ctx, api.id), handler);
  }
  if (ctx.config.staticDir) app.use(express.static(ctx.config.staticDir));

  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}

function publicRoutes(ctx: AppContext): Router {
  const router = express.Router();
  const { config, catalogue } = ctx;

  router.get("/.well-known/opentab.json", (_req, res) => {
    const base = ctx.publicUrl;
    res.json({
      merchant: config.merchant,
      name: config.name,
      issuer: config.issuer.url,
      origins: config.origins,
      currency: config.currency,
      snippet: `${base}/snippet.js`,
      offers: `${base}/v1/offers`,
      unlock: `${base}/v1/unlock`,
      access: `${base}/v1/access`,
      tabs: `${base}/v1/tabs`,
    });
  });

  router.get("/v1/offers", (req, res) => {
    const resource = parseBody(Name, req.query.resource);
    const offers = catalogue.offersFor(resource) ?? fail("resource_unknown", "no such resource");
    res.json({ merchant: config.merchant, resource, offers });
  });

  router.post("/v1/unlock", async (req, res) => {
    const body = parseBody(UnlockBody, req.body);
    const payment = await ctx.payments.accept(body, ["unlock", "pass"]);
    const resource = catalogue.resource(payment.receipt.res);
    res.json({
      grant: payment.grant,
      resource: payment.receipt.res,
      ...(payment.offer.kind === "pass" ? { scope: payment.offer.target } : {}),
      expires_at: payment.expiresAt,
      ...(payment.offer.kind === "unlock" && resource ? { content: resource.content } : {}),
    });
  });

  router.post("/v1/access", async (req, res) => {
    ctx.issuerKeys.require();
    const body = parseBody(AccessBody, req.body);
    const resource =
      catalogue.resource(body.resource) ?? fail("resource_unknown", "no such resource");
    const grant = await ctx.grants.verify(body.grant, Math.floor(nowMs(ctx) / 1000));
    const opens =
      grant.res === resource.id || (grant.scp !== undefined && resource.scopes.includes(grant.scp));
    if (!opens) fail("grant_invalid", "grant does not open this resource");
    res.json({ resource: resource.id, content: resource.content, expires_at: grant.exp });
  });

  router.get("/v1/tabs/:tab", async (req, res) => {
    ctx.issuerKeys.require();
    const tab = parseBody(TabId, req.params.tab);
    const state = await ctx.store.tab(tab);
    res.json({
      tab,
      seq: state?.seq ?? 0,
      cum: (state?.cum ?? 0n).toString(),
      limit: (state?.limit ?? 0n).toString(),
    });
  });
  return router;
}

function adminRoutes(ctx: AppContext): Router {
  const router = express.Router();
  router.use(adminOnly(ctx.config.adminToken));

  router.post("/settle", async (_req, res) => {
    const run = await ctx.settle();
    res.json({
      batches: run.batches.map((b) => ({
        bid: b.bid,
        status: b.status,
        ...(b.payout === undefined ? {} : { payout: b.payout.toString() }),
        ...(b.carryOut === undefined ? {} : { carry_out: b.carryOut.toString() }),
        ...(b.error === undefined ? {} : { error: b.error }),
      })),
    });
  });

  router.get("/reconciliation", async (req, res) => {
    const format = req.query.format ?? "json";
    if (format !== "json" && format !== "csv") fail("invalid_body", "format must be json or csv");
    const report = await ctx.reconciliation();
    if (format === "csv") res.type("text/csv").send(reportCsv(report));
    else res.json(reportJson(report));
  });
  return router;
}

/**
 * The publisher's page may live on another origin than this server: the configured origins may
 * call the public API and send the payment header; the 402 challenge stays readable.
 */
export function cors(origins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.get("origin");
    if (origin === undefined || !origins.includes(origin) || req.path.startsWith("/v1/admin")) {
      return next();
    }
    res.vary("Origin");
    res.set("Access-Control-Allow-Origin", origin);
    res.set("Access-Control-Expose-Headers", "WWW-Authenticate, X-Request-Id");
    if (req.method !== "OPTIONS") return next();
    res.set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE");
    res.set("Access-Control-Allow-Headers", `Content-Type, ${PAYMENT_HEADER}`);
    res.set("Access-Control-Max-Age", "600");
    res.status(204).end();
  };
}

function routeMethod(method: "GET" | "POST" | "PUT" | "DELETE") {
  return method === "GET"
    ? "get"
    : method === "POST"
      ? "post"
      : method === "PUT"
        ? "put"
        : "delete";
}

function defaultApiHandler(id: string): RequestHandler {
  return (_req, res) => {
    res.json({ resource: id, paid: true });
  };
}

function nowMs(ctx: AppContext): number {
  return ctx.config.now ? ctx.config.now() : Date.now();
}
