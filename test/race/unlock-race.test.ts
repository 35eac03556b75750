import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LiveWorld,
  receiptFor,
  send,
  sqliteRows,
  startLiveWorld,
  unlockUrl,
} from "../attack/support";

/**
 * 1,000 unlocks in flight at once against one tab whose limit is far below their sum: two
 * wallets race with their own receipt for each of seq 1..500, resending what was out of order
 * until a round accepts nothing. Whatever the interleaving, the
 * store holds each seq once, cum adds up, and cum never passes the limit.
 */

const SEQS = 500;
const PRICE = 250_000n;
const LIMIT = 6n * PRICE;
const ROUNDS = 20;

let world: LiveWorld;
beforeAll(async () => {
  world = await startLiveWorld();
});
afterAll(() => world.close());

describe("concurrent unlocks on one tab", () => {
  it("accepts each seq once and never passes the limit under 1,000 concurrent unlocks", async () => {
    const tab = await world.openTab("daily-planet", LIMIT);
    const url = unlockUrl(world.merchants["daily-planet"]);
    const now = Math.floor(Date.now() / 1000);
    let pending = await Promise.all(
      Array.from({ length: 2 * SEQS }, async (_x, i) => {
        const seq = Math.floor(i / 2) + 1;
        const cum = (PRICE * BigInt(seq)).toString();
        // The two wallets' receipts for a seq differ in iat, so only one of them can be kept.
        return { seq, receipt: await receiptFor(tab, { seq, cum, iat: now - (i % 2) }) };
      }),
    );

    const accepted = new Map<number, number>();
    const codes = new Set<string>();
    // Receipts refused as out of order are sent again (as a wallet would) for a few rounds.
    let progressed = true;
    for (let round = 0; round < ROUNDS && progressed; round++) {
      const before = accepted.size;
      const replies = await Promise.all(
        pending.map(async (p) => ({
          p,
          reply: await send(url, {
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ certificate: tab.certificate, receipt: p.receipt }),
          }),
        })),
      );
      for (const { p, reply } of replies) {
        expect(reply.status).toBeLessThan(500);
        if (reply.status === 200) accepted.set(p.seq, (accepted.get(p.seq) ?? 0) + 1);
        else codes.add(reply.code ?? "none");
      }
      pending = replies.filter((r) => r.reply.code === "seq_out_of_order").map((r) => r.p);
      progressed = accepted.size > before;
    }

    expect(
      [...codes].every((c) => ["seq_out_of_order", "seq_reused", "tab_limit_exceeded"].includes(c)),
    ).toBe(true);
    expect([...accepted.values()].every((n) => n === 1)).toBe(true);

    const rows = sqliteRows(join(world.dir, "daily-planet.sqlite"));
    const receipts = (rows.receipts ?? []).map((row) => readReceipt(row));
    const seqs = receipts.map((r) => r.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_x, i) => i + 1));
    expect(seqs).toEqual([...accepted.keys()].sort((a, b) => a - b));
    let cum = 0n;
    for (const r of [...receipts].sort((a, b) => a.seq - b.seq)) {
      cum += r.amt;
      expect(r.cum).toBe(cum);
    }
    // The limit was reached exactly, and everything past it refused.
    expect(cum).toBe(LIMIT);
    expect(codes.has("tab_limit_exceeded")).toBe(true);
    const state = await world.merchants["daily-planet"].store.tab(tab.tab);
    expect(state).toMatchObject({ seq: seqs.length, cum });
  }, 90_000);
});

function readReceipt(row: unknown): { seq: number; amt: bigint; cum: bigint } {
  if (typeof row !== "object" || row === null) throw new Error("not a row");
  const [seq, amt, cum] = ["seq", "amt", "cum"].map((column) => Reflect.get(row, column));
  if (typeof seq !== "bigint" || typeof amt !== "bigint" || typeof cum !== "bigint") {
    throw new Error("receipt row without integer seq, amt and cum");
  }
  return { seq: Number(seq), amt, cum };
}
