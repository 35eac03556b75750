import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { IssuerClient } from "../../issuer/client";
import type { RunningIssuer } from "../../issuer/start";
import { MerchantClient } from "../../merchant-server/client";
import { type RunningMerchant, startMerchant } from "../../merchant-server/start";
import { generateSigningKey, type KeyPair, thumbprint } from "../../shared/keys";
import { signToken } from "../../shared/tokens/sign";
import {
  ISSUER_ADMIN,
  MERCHANTS,
  type MerchantName,
  merchantConfig,
  originOf,
  sqliteRows,
  startIssuerIn,
  tempDir,
} from "../attack/support";

/**
 * One reader pays at two merchants. Everything each merchant server stored (every row of its
 * database) and received (request lines, headers and bodies through a recording proxy, and
 * the issuer's answers to it), with every token decoded into its header and claims, is reduced
 * to the identifiers in it. No identifier appears at both merchants but the issuer's own
 * public ones; the wallet's id and identity key appear at neither.
 */

interface Recorded {
  requests: string[];
  fromIssuer: string[];
}

/** A loopback proxy in front of a merchant server that records every request it forwards. */
function recordingProxy(target: string, log: string[]): Promise<{ url: string; server: Server }> {
  const read = (req: IncomingMessage) =>
    new Promise<string>((done) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => done(Buffer.concat(chunks).toString("utf8")));
    });
  const server = createServer(async (req, res) => {
    const body = await read(req);
    log.push(JSON.stringify({ method: req.method, url: req.url, headers: req.rawHeaders, body }));
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([k, v]) =>
        typeof v === "string" && !["host", "connection", "content-length"].includes(k)
          ? [[k, v]]
          : [],
      ),
    );
    const reply = await fetch(`${target}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    const text = await reply.text();
    res.writeHead(reply.status, {
      "content-type": reply.headers.get("content-type") ?? "text/plain",
    });
    res.end(text);
  });
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      done({ url: `http://127.0.0.1:${port}`, server });
    }),
  );
}

/** Every string and number in a value, with JSON text and compact JWS decoded on the way. */
function leaves(value: unknown, out: Set<string>): Set<string> {
  if (typeof value === "string") {
    out.add(value);
    for (const part of value.split(/[\s,]+/)) {
      if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(part)) {
        for (const segment of part.split(".").slice(0, 2)) {
          leaves(tryJson(Buffer.from(segment, "base64url").toString("utf8")), out);
        }
      }
    }
    const parsed = tryJson(value);
    if (parsed !== undefined && typeof parsed !== "string") leaves(parsed, out);
  } else if (typeof value === "number" || typeof value === "bigint") {
    out.add(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) leaves(item, out);
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      leaves(v, out);
    }
  }
  return out;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const RecordedRequest = z.object({ headers: z.array(z.string()) });

/** Values that could link a reader: ids, keys, thumbprints, nonces (no words, no URLs). */
const identifying = (value: string) => /^[A-Za-z0-9_-]{16,}$/.test(value);

let dir: string;
let issuer: RunningIssuer;
const merchants = new Map<MerchantName, RunningMerchant>();
const seen = new Map<MerchantName, Recorded>();
const proxies: Server[] = [];
let identity: KeyPair;
let wallet: string;

beforeAll(async () => {
  dir = tempDir("privacy");
  issuer = await startIssuerIn(dir);
  const client = new IssuerClient(issuer.url);
  for (const id of MERCHANTS) {
    const recorded: Recorded = { requests: [], fromIssuer: [] };
    seen.set(id, recorded);
    const issuerFetch: typeof fetch = async (input, init) => {
      const reply = await fetch(input, init);
      recorded.fromIssuer.push(await reply.clone().text());
      return reply;
    };
    const trust = { url: issuer.url, trustedKeys: issuer.keyThumbprints() };
    const merchant = await startMerchant({ ...merchantConfig(id, dir, trust), issuerFetch });
    merchants.set(id, merchant);
    await client.registerMerchant(ISSUER_ADMIN, {
      id,
      name: id,
      origins: [originOf(id)],
      server: merchant.url,
      currency: "USD",
      keys: [merchant.publicJwk],
      payoutAccount: `acct-${id}`,
    });
  }

  identity = await generateSigningKey(true);
  ({ wallet } = await client.register(identity));
  const auth = { wallet, key: identity };
  await client.topUp(auth, 50_000_000n, "USD");

  for (const id of MERCHANTS) {
    const merchant = merchants.get(id);
    const recorded = seen.get(id);
    if (!merchant || !recorded) throw new Error("merchant missing");
    const proxy = await recordingProxy(merchant.url, recorded.requests);
    proxies.push(proxy.server);
    await payAt(id, new MerchantClient(proxy.url), proxy.url, client, auth);
    await merchant.settle();
  }
});

afterAll(async () => {
  for (const proxy of proxies) proxy.close();
  for (const merchant of merchants.values()) await merchant.close();
  await issuer.close();
});

/** What a wallet does at a merchant: discover, look at offers, open a tab, pay twice, read. */
async function payAt(
  id: string,
  shop: MerchantClient,
  base: string,
  client: IssuerClient,
  auth: { wallet: string; key: KeyPair },
): Promise<void> {
  await shop.discovery();
  await shop.offers("moon-landing");
  const key = await generateSigningKey(true);
  const tab = await client.openTab(auth, {
    merchant: id,
    key: key.publicJwk,
    limit: 5_000_000n,
    currency: "USD",
  });
  await shop.tabState(tab.tab);
  const iat = Math.floor(Date.now() / 1000);
  const receipt = (seq: number, cum: string, res: string, amt: string) =>
    signToken(
      "receipt",
      {
        aud: id,
        tab: tab.tab,
        seq,
        amt,
        cum,
        org: originOf(id),
        res,
        off: res,
        iat,
        exp: tab.expiresAt,
      },
      key,
    );
  const unlocked = await shop.unlock({
    certificate: tab.certificate,
    receipt: await receipt(1, "250000", "moon-landing", "250000"),
  });
  await shop.access(unlocked.grant, "moon-landing");
  const paid = await fetch(`${base}/api/quote`, {
    headers: {
      "OpenTab-Payment": `${tab.certificate} ${await receipt(2, "260000", "quote", "10000")}`,
    },
  });
  expect(paid.status).toBe(200);
}

function everything(id: MerchantName): Set<string> {
  const recorded = seen.get(id);
  const rows = sqliteRows(join(dir, `${id}.sqlite`));
  const out = new Set<string>();
  leaves(
    JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    out,
  );
  for (const text of [...(recorded?.requests ?? []), ...(recorded?.fromIssuer ?? [])])
    leaves(text, out);
  return out;
}

describe("two merchants, one reader", () => {
  it("share no key, key id, tab id, wallet id or nonce in what they stored and received", async () => {
    const a = everything("daily-planet");
    const b = everything("gotham-gazette");
    // What both must see: the issuer's public key (by which they verify certificates).
    const [issuerJwk] = (await new IssuerClient(issuer.url).jwks()).keys;
    const issuerPublic = new Set([issuerJwk?.kid, issuerJwk?.x, issuerJwk?.y].map(String));

    const shared = [...a].filter((v) => b.has(v) && identifying(v) && !issuerPublic.has(v));
    expect(shared).toEqual([]);
    // The sets are not empty by accident: each saw its own tab, receipts and grants.
    expect([...a].filter((v) => v.startsWith("tab_")).length).toBeGreaterThan(0);
    expect([...b].filter((v) => v.startsWith("tab_")).length).toBeGreaterThan(0);
  });

  it("never see the wallet's id or its identity key", async () => {
    const identityValues = [wallet, identity.kid, identity.publicJwk.x, identity.publicJwk.y];
    expect(await thumbprint(identity.publicJwk)).toBe(identity.kid);
    for (const id of MERCHANTS) {
      const all = everything(id);
      expect(identityValues.filter((v) => all.has(v))).toEqual([]);
      const text = [...all].join("\n");
      expect(identityValues.filter((v) => text.includes(v))).toEqual([]);
    }
  });

  it("receive no credential or cookie from the reader", () => {
    for (const id of MERCHANTS) {
      const headers = (seen.get(id)?.requests ?? []).map((r) =>
        RecordedRequest.parse(JSON.parse(r)).headers.map((h) => h.toLowerCase()),
      );
      expect(headers.length).toBeGreaterThan(0);
      expect(headers.flat().filter((h) => ["authorization", "cookie"].includes(h))).toEqual([]);
    }
  });
});
