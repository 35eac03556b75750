import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyPair } from "../shared/keys";
import { createTestDatabase } from "../test/support/postgres";
import type { MerchantConfigInput } from "./config";

/** Fixtures for the merchant server's tests: a loopback JWKS, a config, both stores. */

export const ORIGIN = "http://127.0.0.1:4101";
export const ADMIN = "merchant-admin-token-for-tests";

export type StoreKind = "sqlite" | "postgres";
export const STORES: StoreKind[] = ["sqlite", "postgres"];

export async function storeConfig(
  kind: StoreKind,
  dir: string,
): Promise<MerchantConfigInput["store"]> {
  return kind === "sqlite"
    ? { kind: "sqlite", path: join(dir, "merchant.db") }
    : { kind: "postgres", url: await createTestDatabase("merchant") };
}

/** Serves an issuer key set the way the issuer does; a test can swap it or make it fail. */
export class TestJwks {
  keys: KeyPair[];
  failing = false;
  readonly #server: Server;
  url = "";

  constructor(keys: KeyPair[]) {
    this.keys = keys;
    this.#server = createServer((_req, res) => {
      if (this.failing) {
        res.writeHead(500).end();
        return;
      }
      const body = this.keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: "ES256", use: "sig" }));
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ keys: body }));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    const address = this.#server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "opentab-merchant-"));
}

export function testConfig(
  dir: string,
  store: MerchantConfigInput["store"],
  issuer: { url: string; trustedKeys: string[] },
  overrides: Partial<MerchantConfigInput> = {},
): MerchantConfigInput {
  return {
    merchant: "daily-planet",
    name: "The Daily Planet",
    origins: [ORIGIN],
    currency: "USD",
    port: 0,
    adminToken: ADMIN,
    keyFile: join(dir, "merchant-key.json"),
    issuer,
    store,
    catalogue: {
      resources: [
        {
          id: "moon-landing",
          title: "Men walk on the Moon",
          price: "250000",
          teaser: "<p>Tranquility base…</p>",
          content: "<p>The Eagle has landed.</p>",
          scopes: ["news"],
        },
        {
          id: "mars-rover",
          title: "A rover on Mars",
          price: "400000",
          teaser: "<p>Red dust…</p>",
          content: "<p>Wheels on Mars.</p>",
          scopes: ["news"],
        },
        {
          id: "brief",
          title: "A brief, priced below a cent",
          price: "1234",
          teaser: "<p>Briefly…</p>",
          content: "<p>Brief.</p>",
        },
      ],
      passes: [
        {
          id: "day-pass",
          title: "All news for a day",
          scope: "news",
          durationSeconds: 86400,
          price: "1000000",
        },
      ],
      apis: [{ id: "quote", title: "A quote", method: "GET", path: "/api/quote", price: "10000" }],
    },
    ...overrides,
  };
}

export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
