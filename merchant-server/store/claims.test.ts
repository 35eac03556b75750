import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchIdSync } from "../settlement";
import { STORES, type StoreKind, storeConfig, tempDir } from "../testing";
import { PostgresStore } from "./postgres";
import { SqliteStore } from "./sqlite";
import type { MerchantStore, WindowClaim } from "./types";

/**
 * Window claims on each store: a tab's line ends at its newest receipt accepted before the
 * window's end and covers what the tab accepted since its previous line; parts are cut in tab
 * order; a window claimed again makes no second batch.
 */

const AMT = 1_000n;

async function openStore(kind: StoreKind): Promise<MerchantStore> {
  const config = await storeConfig(kind, tempDir());
  return config.kind === "sqlite" ? new SqliteStore(config.path) : PostgresStore.open(config.url);
}

async function accept(store: MerchantStore, tab: string, seq: number, acceptedAt: number) {
  const outcome = await store.commit({
    certificate: { limit: 1_000_000n, token: `certificate-${tab}` },
    tab,
    currency: "USD",
    seq,
    prevSeq: seq - 1,
    amt: AMT,
    cum: AMT * BigInt(seq),
    offer: "brief",
    resource: "brief",
    payloadHash: `hash-${tab}-${seq}`,
    token: `receipt-${tab}-${seq}`,
    grant: `grant-${tab}-${seq}`,
    acceptedAt,
  });
  expect(outcome).toBe("committed");
}

function claim(end: number, window: string, partSize = 10_000): WindowClaim {
  return {
    currency: "USD",
    end,
    windowEnd: end,
    window,
    bid: (part) => batchIdSync("daily-planet", "USD", `${window}#${part}`),
    partSize,
  };
}

describe.each(STORES)("window claims on %s", (kind) => {
  let store: MerchantStore;
  beforeAll(async () => {
    store = await openStore(kind);
  });
  afterAll(() => store.close());

  it("claims each receipt once, up to the window's end, and cuts parts in tab order", async () => {
    for (const tab of ["tab_c", "tab_a", "tab_b"]) {
      for (let seq = 1; seq <= 3; seq++) await accept(store, tab, seq, 1_000 + seq);
    }
    await accept(store, "tab_a", 4, 5_000);
    expect(await store.oldestUnbatched("USD")).toBe(1_001);

    const first = await store.claimWindow(claim(2_000, "w1", 2));
    expect(first).toHaveLength(2);
    expect(await store.claimWindow(claim(2_000, "w1", 2))).toEqual([]);
    const pending = (await store.pendingBatches()).sort((a, b) => (a.win < b.win ? -1 : 1));
    expect(pending.map((b) => b.win)).toEqual(["w1#1", "w1#2"]);
    const lines = pending.map((b) =>
      b.lines.map((l) => [l.tab, l.seq, l.cum, l.accepted, l.certificate, l.receipt]),
    );
    expect(lines).toEqual([
      [
        ["tab_a", 3, 3_000n, 3_000n, "certificate-tab_a", "receipt-tab_a-3"],
        ["tab_b", 3, 3_000n, 3_000n, "certificate-tab_b", "receipt-tab_b-3"],
      ],
      [["tab_c", 3, 3_000n, 3_000n, "certificate-tab_c", "receipt-tab_c-3"]],
    ]);
    expect(await store.oldestUnbatched("USD")).toBe(5_000);

    await accept(store, "tab_b", 4, 6_000);
    await accept(store, "tab_b", 5, 6_001);
    const second = await store.claimWindow(claim(10_000, "w2"));
    expect(second).toHaveLength(1);
    const batch = (await store.pendingBatches()).find((b) => b.bid === second[0]);
    expect(batch?.lines.map((l) => [l.tab, l.seq, l.cum, l.accepted])).toEqual([
      ["tab_a", 4, 4_000n, 1_000n],
      ["tab_b", 5, 5_000n, 2_000n],
    ]);
    expect(await store.oldestUnbatched("USD")).toBeUndefined();
    expect(await store.claimWindow(claim(20_000, "w3"))).toEqual([]);
  });

  it("claims windows while receipts keep arriving, and every accepted amount is in one line", async () => {
    const tabs = Array.from({ length: 10 }, (_x, i) => `tab_busy_${i}`);
    const arriving = (async () => {
      for (let seq = 1; seq <= 30; seq++) {
        await Promise.all(tabs.map((tab) => accept(store, tab, seq, 100_000 + seq)));
      }
    })();
    const claimed: string[] = [];
    for (let w = 1; w <= 30; w++) {
      claimed.push(...(await store.claimWindow(claim(100_000 + w, `busy${w}`))));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await arriving;
    claimed.push(...(await store.claimWindow(claim(200_000, "busy-last"))));
    const lines = (await store.pendingBatches())
      .filter((b) => claimed.includes(b.bid))
      .flatMap((b) => b.lines);
    for (const tab of tabs) {
      const sum = lines.filter((l) => l.tab === tab).reduce((total, l) => total + l.accepted, 0n);
      expect(sum).toBe(30n * AMT);
    }
  });
});
