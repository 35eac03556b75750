import type { RequestHandler } from "express";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** Prometheus metrics of one issuer; each instance has its own registry (tests run several). */
export interface IssuerMetrics {
  registry: Registry;
  tabsOpened: Counter;
  settlementLines: Counter<"status">;
  observe: RequestHandler;
}

export function createMetrics(): IssuerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "opentab_issuer_" });
  const requests = new Histogram({
    name: "opentab_issuer_http_request_seconds",
    help: "HTTP requests by route and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const tabsOpened = new Counter({
    name: "opentab_issuer_tabs_opened_total",
    help: "Tabs opened",
    registers: [registry],
  });
  const settlementLines = new Counter({
    name: "opentab_issuer_settlement_lines_total",
    help: "Settlement lines cleared, by outcome",
    labelNames: ["status"],
    registers: [registry],
  });
  const observe: RequestHandler = (req, res, next) => {
    const stop = requests.startTimer();
    res.on("finish", () => {
      const route = typeof req.route?.path === "string" ? req.route.path : "unmatched";
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, tabsOpened, settlementLines, observe };
}
