import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../testing";
import { SqliteStore } from "./sqlite";
import type { AcceptedReceipt } from "./types";

const receipt = (tab: string, seq: number, prevSeq = seq - 1): AcceptedReceipt => ({
  certificate: { limit: 1_000_000n, token: `certificate-${tab}` },
  tab,
  currency: "USD",
  seq,
  prevSeq,
  amt: 1_000n,
  cum: 1_000n * BigInt(seq),
  offer: "brief",
  resource: "brief",
  payloadHash: `hash-${tab}-${seq}`,
  token: `receipt-${tab}-${seq}`,
  grant: `grant-${tab}-${seq}`,
  acceptedAt: 1_700_000_000_000,
});

describe("the SQLite receipt writer", () => {
  let store: SqliteStore | undefined;
  afterEach(async () => store?.close());

  it("answers committed only once another connection can read the receipt", async () => {
    const path = join(tempDir(), "merchant.db");
    store = new SqliteStore(path);
    const tabs = Array.from({ length: 50 }, (_x, i) => `tab-${i}`);
    const outcomes = await Promise.all(tabs.map((tab) => store?.commit(receipt(tab, 1))));
    expect(outcomes).toEqual(tabs.map(() => "committed"));
    const reader = new Database(path, { readonly: true });
    const count = reader.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM receipts").get();
    reader.close();
    expect(count?.n).toBe(50);
  });

  it("answers conflict for a receipt whose tab moved since it was checked, and stores nothing", async () => {
    store = new SqliteStore(join(tempDir(), "merchant.db"));
    const [first, second] = await Promise.all([
      store.commit(receipt("tab-a", 1)),
      store.commit({ ...receipt("tab-a", 1), payloadHash: "other" }),
    ]);
    expect([first, second]).toEqual(["committed", "conflict"]);
    expect(await store.receipt("tab-a", 1)).toMatchObject({ payloadHash: "hash-tab-a-1" });
    expect(await store.tab("tab-a")).toMatchObject({ seq: 1, cum: 1_000n });
  });

  it("stores a receipt without its certificate once the tab holds one, and keeps that one", async () => {
    store = new SqliteStore(join(tempDir(), "merchant.db"));
    expect(await store.commit(receipt("tab-a", 1))).toBe("committed");
    const { certificate: _, ...bare } = receipt("tab-a", 2);
    expect(await store.commit(bare)).toBe("committed");
    expect(await store.tab("tab-a")).toMatchObject({ seq: 2, cum: 2_000n, limit: 1_000_000n });
  });

  it("refuses commits once closed instead of dropping them", async () => {
    const closed = new SqliteStore(join(tempDir(), "merchant.db"));
    await closed.close();
    await expect(closed.commit(receipt("tab-a", 1))).rejects.toThrow(/closed/);
  });
});
