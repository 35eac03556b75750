import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IssuerClient } from "../../issuer/client";
import type { RunningIssuer } from "../../issuer/start";
import { loadConfigFile } from "../../merchant-server/config";
import { loadMerchantKey } from "../../merchant-server/merchant-key";
import { startMerchant } from "../../merchant-server/start";
import { generateSigningKey } from "../../shared/keys";
import { TabStateReply } from "../../shared/merchant-api";
import {
  ISSUER_ADMIN,
  type LiveTab,
  merchantConfig,
  originOf,
  receiptFor,
  send,
  sqliteRows,
  startIssuerIn,
  tempDir,
} from "../attack/support";
import { type Child, prng, spawnMerchant } from "./child";

/**
 * The merchant server as a child process on SQLite, killed with SIGKILL 20 times at points
 * drawn from a fixed seed (after the k-th answered unlock, with others in flight). After every
 * restart each receipt the client saw accepted is stored, none twice; settlement afterwards
 * against the real issuer pays exactly the sum of what was stored.
 */

const SEED = 20_260_329;
const RUNS = 20;
const TABS = 3;
const PRICE = 250_000n;
const MERCHANT = "daily-planet";

let dir: string;
let issuer: RunningIssuer;
let configPath: string;
const tabs: LiveTab[] = [];

beforeAll(async () => {
  dir = tempDir("crash-merchant");
  issuer = await startIssuerIn(dir);
  const config = merchantConfig(MERCHANT, dir, {
    url: issuer.url,
    trustedKeys: issuer.keyThumbprints(),
  });
  configPath = join(dir, "merchant.json");
  writeFileSync(configPath, JSON.stringify(config));
  const key = await loadMerchantKey(config.keyFile);
  const client = new IssuerClient(issuer.url);
  await client.registerMerchant(ISSUER_ADMIN, {
    id: MERCHANT,
    name: "The Daily Planet",
    origins: [originOf(MERCHANT)],
    server: originOf(MERCHANT),
    currency: "USD",
    keys: [key.publicJwk],
    payoutAccount: "acct-daily-planet",
  });
  const identity = await generateSigningKey();
  const { wallet } = await client.register(identity);
  const auth = { wallet, key: identity };
  await client.topUp(auth, 1_000_000_000n, "USD");
  for (let i = 0; i < TABS; i++) {
    const key = await generateSigningKey(true);
    const opened = await client.openTab(auth, {
      merchant: MERCHANT,
      key: key.publicJwk,
      limit: 100_000_000n,
      currency: "USD",
    });
    tabs.push({ merchant: MERCHANT, key, ...opened });
  }
});
afterAll(() => issuer.close());

/** What the client knows of a tab: the receipts it saw accepted, and where the server is. */
interface Driver {
  tab: LiveTab;
  seq: number;
  seen: Map<number, string>;
}

async function tabState(url: string, tab: string): Promise<{ seq: number; cum: bigint }> {
  const reply = await send(`${url}/v1/tabs/${tab}`, { method: "GET", headers: {} });
  const body = TabStateReply.parse(reply.body);
  return { seq: body.seq, cum: BigInt(body.cum) };
}

/**
 * Each tab's driver sends its next receipt as soon as the last one was answered; after `k`
 * answers in all, the server is killed at once, whatever is in flight.
 */
async function runUntilKilled(url: string, child: Child, drivers: Driver[], k: number) {
  let answered = 0;
  let killed = false;
  const drive = async (d: Driver) => {
    while (!killed) {
      const seq = d.seq + 1;
      const receipt = await receiptFor(d.tab, { seq, cum: (PRICE * BigInt(seq)).toString() });
      const reply = await send(`${url}/v1/unlock`, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ certificate: d.tab.certificate, receipt }),
      }).catch(() => undefined);
      if (!reply || killed) return;
      expect(reply.status).toBe(200);
      d.seen.set(seq, receipt);
      d.seq = seq;
      answered += 1;
      if (answered >= k) {
        killed = true;
        void child.kill();
      }
    }
  };
  await Promise.all(drivers.map(drive));
  await child.kill();
}

describe("merchant server killed with SIGKILL", () => {
  it(`keeps every receipt the client saw accepted, once, over ${RUNS} kills (seed ${SEED}); settlement pays their sum`, async () => {
    const rand = prng(SEED);
    const drivers: Driver[] = tabs.map((tab) => ({ tab, seq: 0, seen: new Map() }));
    for (let run = 0; run < RUNS; run++) {
      const { child, url } = await spawnMerchant(configPath);
      for (const d of drivers) {
        const state = await tabState(url, d.tab.tab);
        // Everything seen is stored; at most the one receipt in flight at the kill was added.
        expect(state.seq - d.seq).toBeGreaterThanOrEqual(0);
        expect(state.seq - d.seq).toBeLessThanOrEqual(1);
        expect(state.cum).toBe(PRICE * BigInt(state.seq));
        d.seq = state.seq;
      }
      await runUntilKilled(url, child, drivers, 1 + Math.floor(rand() * 8));
    }

    const rows = sqliteRows(join(dir, `${MERCHANT}.sqlite`)).receipts ?? [];
    const stored = rows.map((row) => {
      const [tab, seq, cum, token] = ["tab", "seq", "cum", "token"].map((c) =>
        Reflect.get(Object(row), c),
      );
      return { tab: String(tab), seq: Number(seq), cum: BigInt(String(cum)), token: String(token) };
    });
    let total = 0n;
    for (const d of drivers) {
      const mine = stored.filter((r) => r.tab === d.tab.tab).sort((a, b) => a.seq - b.seq);
      expect(mine.map((r) => r.seq)).toEqual(Array.from({ length: mine.length }, (_x, i) => i + 1));
      for (const [seq, receipt] of d.seen) {
        expect(mine.find((r) => r.seq === seq)?.token).toBe(receipt);
      }
      const last = mine.at(-1);
      expect(last?.cum).toBe(PRICE * BigInt(mine.length));
      total += last?.cum ?? 0n;
    }
    expect(total).toBeGreaterThan(0n);

    const merchant = await startMerchant({
      ...loadConfigFile(configPath),
      now: () => Date.now() + 5_000,
    });
    try {
      const run = await merchant.settle();
      expect(run.batches.map((b) => b.status)).toEqual(["settled"]);
      const [batch] = await merchant.store.batches();
      expect(batch?.statement?.gross).toBe(total);
      for (const d of drivers) {
        const mine = stored.filter((r) => r.tab === d.tab.tab);
        expect((await issuer.store.tab(d.tab.tab))?.settled).toBe(PRICE * BigInt(mine.length));
      }
    } finally {
      await merchant.close();
    }
  }, 150_000);
});
