import browser from "webextension-polyfill";
import { IssuerClient } from "../../issuer/client";
import { MerchantClient } from "../../merchant-server/client";
import { createLogger } from "../shared/logger";
import { WalletDb } from "./db";
import { systemClock } from "./ports";
import { Router } from "./router";
import { allRoutes } from "./routes";
import { createServices } from "./services";
import { startWorker } from "./worker";

/** The service worker's composition root: real browser APIs and HTTP clients, then wiring. */
const services = createServices({
  db: new WalletDb(),
  clients: {
    issuer: (baseUrl) => new IssuerClient(baseUrl),
    merchant: (server) => new MerchantClient(server),
  },
  windows: browser.windows,
  pageUrl: (path) => browser.runtime.getURL(path),
  clock: systemClock,
});

const router = new Router(allRoutes(services), {
  id: browser.runtime.id,
  base: browser.runtime.getURL(""),
});

startWorker({ browser, services, router, log: createLogger("worker") });
