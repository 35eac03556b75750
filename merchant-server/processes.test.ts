import type { Request, Response } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenTabError } from "../shared/errors";
import type { KeyPair } from "../shared/keys";
import { buildReceipt, buildTab, now, testKey } from "../test/support/builders";
import { MerchantClient } from "./client";
import { type RunningMerchant, startMerchant } from "./start";
import { storeConfig, TestJwks, tempDir, testConfig } from "./testing";

describe("two merchant servers on one PostgreSQL", () => {
  let issuerKey: KeyPair;
  let jwks: TestJwks;
  let servers: RunningMerchant[] = [];
  let quotes = 0;

  beforeAll(async () => {
    issuerKey = await testKey();
    jwks = await new TestJwks([issuerKey]).start();
    const dir = tempDir();
    const store = await storeConfig("postgres", dir);
    const issuer = { url: jwks.url, trustedKeys: [issuerKey.kid] };
    const apiHandlers = {
      quote: (_req: Request, res: Response) => {
        quotes++;
        res.json({ quote: "Ad astra" });
      },
    };
    servers = [
      await startMerchant(testConfig(dir, store, issuer), { apiHandlers }),
      await startMerchant(testConfig(dir, store, issuer), { apiHandlers }),
    ];
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await jwks.close();
  });

  it("never accept the same seq twice", async () => {
    const tab = await buildTab(issuerKey);
    const clients = servers.map((s) => new MerchantClient(s.url));
    for (let seq = 1; seq <= 20; seq++) {
      const cum = String(250000 * seq);
      // Each server gets its own receipt for this seq, at the same moment. The two payloads
      // differ by iat from one clock reading: an identical payload is a replay, rightly accepted.
      const iat = now();
      const outcomes = await Promise.all(
        clients.map(async (client, k) => {
          const receipt = await buildReceipt(tab, { seq, cum, iat: iat - k });
          return client.unlock({ certificate: tab.certificate, receipt }).then(
            () => "accepted",
            (e: unknown) => (e instanceof OpenTabError ? e.code : "unknown"),
          );
        }),
      );
      expect(outcomes.sort()).toEqual(["accepted", "seq_reused"]);
    }
    expect(await clients[0]?.tabState(tab.claims.sub)).toMatchObject({ seq: 20, cum: 5000000n });
  });

  it("decide each receipt on the shared row when the other server moved the tab", async () => {
    const tab = await buildTab(issuerKey);
    const [a, b] = servers.map((s) => new MerchantClient(s.url));
    if (!a || !b) throw new Error("two servers");
    const receipts = await Promise.all(
      [1, 2, 3, 4].map((seq) => buildReceipt(tab, { seq, cum: String(250000 * seq) })),
    );
    const unlock = (client: MerchantClient, receipt: string | undefined) =>
      client.unlock({ certificate: tab.certificate, receipt: receipt ?? "" });

    await unlock(a, receipts[0]);
    const second = await unlock(b, receipts[1]);
    // A last stored seq 1 itself; seq 3 follows what B stored, so A accepts it.
    await unlock(a, receipts[2]);
    expect((await unlock(a, receipts[1])).grant).toBe(second.grant);
    const other = await buildReceipt(tab, { seq: 3, cum: "750000", iat: now() - 5 });
    await expect(unlock(b, other)).rejects.toMatchObject({ code: "seq_reused" });
    await unlock(b, receipts[3]);
    const ahead = await buildReceipt(tab, { seq: 6, cum: "1500000" });
    await expect(unlock(a, ahead)).rejects.toMatchObject({
      code: "seq_out_of_order",
      details: { seq: 4, cum: "1000000" },
    });
    expect(await a.tabState(tab.claims.sub)).toMatchObject({ seq: 4, cum: 1000000n });
  });

  it("refuse a paid call's receipt re-presented to the other server without running it (seq_reused)", async () => {
    const tab = await buildTab(issuerKey);
    const [a, b] = servers;
    if (!a || !b) throw new Error("two servers");
    const receipt = (seq: number) =>
      buildReceipt(tab, {
        seq,
        amt: "10000",
        cum: String(10000 * seq),
        res: "quote",
        off: "quote",
        org: "http://127.0.0.1:4101",
      });
    const call = (server: RunningMerchant, token: string) =>
      fetch(`${server.url}/api/quote`, {
        headers: { "OpenTab-Payment": `${tab.certificate} ${token}` },
      });
    quotes = 0;
    expect((await call(b, await receipt(1))).status).toBe(200);
    const second = await receipt(2);
    expect((await call(a, second)).status).toBe(200);
    // B last stored seq 1 itself; its own state of the tab must not let seq 2 run again.
    const again = await call(b, second);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "seq_reused" } });
    expect(quotes).toBe(2);
    const state = await new MerchantClient(a.url).tabState(tab.claims.sub);
    expect(state).toMatchObject({ seq: 2, cum: 20000n });
  });
});
