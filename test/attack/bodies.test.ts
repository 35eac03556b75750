import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMerchant } from "../../merchant-server/start";
import {
  expectRefused,
  type LiveTab,
  type LiveWorld,
  merchantConfig,
  receiptFor,
  send,
  startLiveWorld,
  tempDir,
  unchanged,
  unlockUrl,
} from "./support";

/** Hostile bodies and a hostile or absent issuer key set: refused with a code, nothing stored. */

let world: LiveWorld;
let tab: LiveTab;
let valid: string;
beforeAll(async () => {
  world = await startLiveWorld();
  tab = await world.openTab("daily-planet");
  valid = JSON.stringify({ certificate: tab.certificate, receipt: await receiptFor(tab) });
});
afterAll(() => world.close());

const raw = (body: string, type = "application/json") =>
  send(unlockUrl(world.merchants["daily-planet"]), { headers: { "content-type": type }, body });

describe("bodies", () => {
  it("refuses truncated JSON (invalid_json)", async () => {
    expectRefused(await unchanged(world, () => raw(valid.slice(0, -7))), "invalid_json");
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])(
    "refuses a valid body sent as %s (unsupported_media_type)",
    async (type) => {
      expectRefused(await unchanged(world, () => raw(valid, type)), "unsupported_media_type");
    },
  );

  it("refuses a compressed body rather than inflating it (unsupported_media_type)", async () => {
    const reply = await unchanged(world, () =>
      send(unlockUrl(world.merchants["daily-planet"]), {
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: valid,
      }),
    );
    expectRefused(reply, "unsupported_media_type");
  });

  it("answers a malformed %-escape in a path with 400 on both servers (invalid_request)", async () => {
    const merchant = world.merchants["daily-planet"].url;
    for (const url of [`${merchant}/v1/tabs/%ZZ`, `${world.issuer.url}/v1/merchants/%ZZ`]) {
      expectRefused(await unchanged(world, () => send(url, { method: "GET" })), "invalid_request");
    }
  });

  it("refuses a 5 MB body before reading it (body_too_large)", async () => {
    const huge = JSON.stringify({
      certificate: tab.certificate,
      receipt: "a".repeat(5 * 1024 * 1024),
    });
    expectRefused(await unchanged(world, () => raw(huge)), "body_too_large");
  });

  it("refuses 100,000 levels of nesting as too large, without a stack overflow (body_too_large)", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expectRefused(await unchanged(world, () => raw(deep)), "body_too_large");
  });

  it("refuses 30,000 levels of nesting inside the size limit (invalid_body)", async () => {
    const deep = `{"certificate":${"[".repeat(30_000)}${"]".repeat(30_000)},"receipt":"x"}`;
    expectRefused(await unchanged(world, () => raw(deep)), "invalid_body");
  });

  it("refuses a JSON string, number or null as the body (invalid_json)", async () => {
    for (const body of ['"x"', "1", "null"]) {
      expectRefused(await unchanged(world, () => raw(body)), "invalid_json");
    }
  });

  it("reads duplicate keys last-wins: a bad token after a good one is what is judged (token_malformed)", async () => {
    const receipt = await receiptFor(tab);
    const body = `{"certificate":"${tab.certificate}","receipt":"${receipt}","receipt":"x.y.z"}`;
    expectRefused(await unchanged(world, () => raw(body)), "token_malformed");
  });

  it("reads duplicate keys last-wins: only the last receipt is charged, once", async () => {
    const fresh = await world.openTab("daily-planet");
    const first = await receiptFor(fresh);
    const second = await receiptFor(fresh, { iat: Math.floor(Date.now() / 1000) - 3 });
    const body = `{"certificate":"${fresh.certificate}","receipt":"${first}","receipt":"${second}"}`;
    expect((await raw(body)).status).toBe(200);
    const planet = world.merchants["daily-planet"];
    expect(await planet.store.tab(fresh.tab)).toMatchObject({ seq: 1, cum: 250000n });
    expect(await planet.store.receipt(fresh.tab, 1)).toBeDefined();
    const replay = await raw(JSON.stringify({ certificate: fresh.certificate, receipt: second }));
    expect(replay.status).toBe(200);
    const other = await raw(JSON.stringify({ certificate: fresh.certificate, receipt: first }));
    expectRefused(other, "seq_reused");
  });

  it("refuses a body with a __proto__ member and changes nothing (invalid_body)", async () => {
    const body = `{"certificate":"${tab.certificate}","receipt":"x","__proto__":{"price":"1"}}`;
    expectRefused(await unchanged(world, () => raw(body)), "invalid_body");
  });
});

type Mode = "down" | "empty" | "redirect" | "untrusted";

/** Stands in for the issuer's /.well-known/jwks.json, misbehaving the way the test says. */
function hostileJwks(mode: Mode, realIssuer: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    if (mode === "down") return void res.writeHead(500).end();
    if (mode === "redirect") {
      return void res.writeHead(302, { location: `${realIssuer}/.well-known/jwks.json` }).end();
    }
    const keys =
      mode === "empty"
        ? []
        : [{ kty: "EC", crv: "P-256", x: tab.key.publicJwk.x, y: tab.key.publicJwk.y }];
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({ url: `http://127.0.0.1:${port}`, server });
    }),
  );
}

describe("issuer key set", () => {
  it.each([
    ["unavailable (500)", "down"],
    ["empty", "empty"],
    ["answered with a redirect to the real key set", "redirect"],
    ["holding none of the trusted keys", "untrusted"],
  ] as const)(
    "answers 503 issuer_keys_unavailable with no content when the key set is %s",
    async (_name, mode) => {
      const jwks = await hostileJwks(mode, world.issuer.url);
      const dir = tempDir("blind");
      const trust = { url: jwks.url, trustedKeys: world.issuer.keyThumbprints() };
      const blind = await startMerchant(merchantConfig("daily-planet", dir, trust));
      try {
        const receipt = await receiptFor(tab);
        const health = await send(`${blind.url}/healthz`, { method: "GET", headers: {} });
        expect(health.status).toBe(503);
        const unlock = await send(`${blind.url}/v1/unlock`, {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ certificate: tab.certificate, receipt }),
        });
        expectRefused(unlock, "issuer_keys_unavailable");
        expect(unlock.status).toBe(503);
        const api = await send(`${blind.url}/api/quote`, {
          method: "GET",
          headers: { "OpenTab-Payment": `${tab.certificate} ${receipt}` },
        });
        expectRefused(api, "issuer_keys_unavailable");
        const state = await send(`${blind.url}/v1/tabs/${tab.tab}`, { method: "GET", headers: {} });
        expectRefused(state, "issuer_keys_unavailable");
        expect(await blind.store.tab(tab.tab)).toBeUndefined();
      } finally {
        await blind.close();
        jwks.server.close();
      }
    },
  );
});
