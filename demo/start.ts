import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import type { RequestHandler } from "express";
import { IssuerClient } from "../issuer/client";
import { type RunningIssuer, startIssuer } from "../issuer/start";
import type { IssuerStore } from "../issuer/store";
import { loadMerchantKey } from "../merchant-server/merchant-key";
import { type RunningMerchant, startMerchant } from "../merchant-server/start";
import { fail, OpenTabError } from "../shared/errors";
import { articleContent, renderSite, type SiteLink } from "./render";
import { loadSecrets } from "./secrets";
import { news, quotes, type Site, second } from "./sites";

/**
 * Starts the whole demo on loopback: the issuer with test funding, and two publishers, each
 * its own merchant server serving its own pages on its own origin. Every piece of state lives
 * under one data directory, so a restart with the same directory finds the same wallets'
 * tabs, merchants and keys. `npm start` is a thin CLI over this; end-to-end tests call it with
 * port 0 (a random free port) and a temporary directory.
 */

export interface DemoPorts {
  issuer?: number;
  news?: number;
  second?: number;
}

export interface DemoOptions {
  dataDir: string;
  /** Defaults 4100, 4101, 4102; 0 picks a free port. */
  ports?: DemoPorts;
}

export interface DemoSite {
  merchant: string;
  name: string;
  /** Where readers open it; also the merchant server's public URL, e.g. http://127.0.0.1:4101. */
  origin: string;
  adminToken: string;
  /** Full URLs of the article pages, by resource id. */
  articles: Record<string, string>;
  passOffer?: string;
  /** The paid JSON route, for the second site. */
  api?: { id: string; url: string };
}

/** What the issuer's books say, read in-process: for tests that check money end to end. */
export type IssuerBooks = Pick<IssuerStore, "walletStatement" | "balance" | "audit">;

export interface Demo {
  dataDir: string;
  issuer: { url: string; adminToken: string; books: IssuerBooks };
  news: DemoSite;
  second: DemoSite;
  /** Closes the servers and their stores; safe to call twice. */
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
const CURRENCY = "USD";
const DEFAULT_PORTS = { issuer: 4100, news: 4101, second: 4102 };

/** Asks the OS for a free loopback port: a site's origin must be known before it listens. */
function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

const portFor = async (chosen: number | undefined, fallback: number) =>
  chosen === 0 ? freePort() : (chosen ?? fallback);

function catalogue(site: Site) {
  const scopes = site.pass ? [site.pass.scope] : [];
  return {
    resources: site.articles.map((a) => ({
      id: a.id,
      title: a.title,
      price: a.price,
      teaser: a.teaser,
      content: articleContent(a),
      scopes,
    })),
    passes: site.pass ? [site.pass] : [],
    apis: site.api ? [{ ...site.api, method: "GET" as const }] : [],
  };
}

const quoteHandler: RequestHandler = (_req, res) => {
  const quote = quotes[Math.floor(Date.now() / 86_400_000) % quotes.length];
  res.json({ quote, date: new Date().toISOString().slice(0, 10) });
};

/** Registers the merchant; on a restart the issuer already has it, which is fine if unchanged. */
async function register(
  client: IssuerClient,
  adminToken: string,
  site: Site,
  origin: string,
  keyFile: string,
): Promise<void> {
  const key = await loadMerchantKey(keyFile);
  const record = { id: site.merchant, name: site.name, origins: [origin], server: origin };
  try {
    await client.registerMerchant(adminToken, {
      ...record,
      currency: CURRENCY,
      keys: [key.publicJwk],
      payoutAccount: `demo:${site.merchant}`,
    });
  } catch (e: unknown) {
    if (!(e instanceof OpenTabError) || e.code !== "merchant_exists") throw e;
    const known = await client.merchant(site.merchant);
    if (known.server !== origin || known.origins.join() !== origin) {
      fail(
        "merchant_exists",
        `${site.merchant} is registered at ${known.server} in this data directory; ` +
          "start on the same ports or with a fresh --data-dir",
      );
    }
  }
}

interface SiteStart {
  site: Site;
  port: number;
  issuer: RunningIssuer;
  trustedKeys: string[];
  adminToken: string;
  dataDir: string;
  links: SiteLink[];
}

async function startSite(s: SiteStart): Promise<RunningMerchant> {
  const origin = `http://${s.site.hostname}:${s.port}`;
  const www = join(s.dataDir, "www", s.site.merchant);
  renderSite(s.site, origin, www, s.links);
  return startMerchant(
    {
      merchant: s.site.merchant,
      name: s.site.name,
      origins: [origin],
      currency: CURRENCY,
      host: HOST,
      port: s.port,
      publicUrl: origin,
      adminToken: s.adminToken,
      keyFile: join(s.dataDir, `${s.site.merchant}-key.json`),
      issuer: { url: s.issuer.url, trustedKeys: s.trustedKeys },
      store: { kind: "sqlite", path: join(s.dataDir, `${s.site.merchant}.sqlite`) },
      catalogue: catalogue(s.site),
      staticDir: www,
    },
    { apiHandlers: s.site.api ? { [s.site.api.id]: quoteHandler } : {} },
  );
}

function describe(site: Site, origin: string, adminToken: string): DemoSite {
  const articles = Object.fromEntries(site.articles.map((a) => [a.id, `${origin}/${a.id}.html`]));
  return {
    merchant: site.merchant,
    name: site.name,
    origin,
    adminToken,
    articles,
    ...(site.pass ? { passOffer: site.pass.id } : {}),
    ...(site.api ? { api: { id: site.api.id, url: `${origin}${site.api.path}` } } : {}),
  };
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const sites = [news, second];
  const secrets = loadSecrets(
    dataDir,
    sites.map((s) => s.merchant),
  );
  const ports = {
    issuer: await portFor(options.ports?.issuer, DEFAULT_PORTS.issuer),
    news: await portFor(options.ports?.news, DEFAULT_PORTS.news),
    second: await portFor(options.ports?.second, DEFAULT_PORTS.second),
  };
  const origins = [
    `http://${news.hostname}:${ports.news}`,
    `http://${second.hostname}:${ports.second}`,
  ];
  const running: { close(): Promise<void> }[] = [];
  const stop = async () => {
    const closing = running.splice(0).reverse();
    for (const server of closing) await server.close();
  };

  try {
    const issuer = await startIssuer({
      host: HOST,
      port: ports.issuer,
      adminToken: secrets.issuerAdminToken,
      testFunding: true,
      store: { kind: "sqlite", path: join(dataDir, "issuer.sqlite") },
      keyFile: join(dataDir, "issuer-keys.json"),
    });
    running.push(issuer);
    const client = new IssuerClient(issuer.url);
    const trustedKeys = issuer.keyThumbprints();

    for (const [i, site] of sites.entries()) {
      const origin = origins[i] ?? fail("internal_error", "no origin for a site");
      const adminToken = secrets.merchantAdminTokens[site.merchant] ?? "";
      const keyFile = join(dataDir, `${site.merchant}-key.json`);
      await register(client, secrets.issuerAdminToken, site, origin, keyFile);
      const links = sites
        .map((other, j) => ({ name: other.name, url: `${origins[j]}/` }))
        .filter((_, j) => j !== i);
      const port = i === 0 ? ports.news : ports.second;
      const args = { site, port, issuer, trustedKeys, adminToken, dataDir, links };
      running.push(await startSite(args));
    }

    return {
      dataDir,
      issuer: { url: issuer.url, adminToken: secrets.issuerAdminToken, books: issuer.store },
      news: describe(news, origins[0] ?? "", secrets.merchantAdminTokens[news.merchant] ?? ""),
      second: describe(
        second,
        origins[1] ?? "",
        secrets.merchantAdminTokens[second.merchant] ?? "",
      ),
      stop,
    };
  } catch (e: unknown) {
    await stop();
    throw e;
  }
}
