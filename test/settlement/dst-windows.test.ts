import { join } from "node:path";
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningMerchant, startMerchant } from "../../merchant-server/start";
import { postJson, TestJwks, tempDir, testConfig } from "../../merchant-server/testing";
import type { KeyPair } from "../../shared/keys";
import { sqliteRows } from "../attack/support";
import { buildReceipt, buildTab, type TabFixture, testKey } from "../support/builders";

/**
 * Daily settlement windows in Europe/Berlin across both 2026 clock changes: 29 March has 23
 * hours, 25 October has 25. Receipts are taken at the edges of each local day (and in the
 * hour that repeats); every receipt lands in exactly one batch whose window holds its time,
 * and settling again in the same day creates no second batch.
 */

const ZONE = "Europe/Berlin";
const DAYS = ["2026-03-28", "2026-03-29", "2026-03-30", "2026-10-24", "2026-10-25", "2026-10-26"];
const PRICE = 250_000n;

let clock = 0;
let issuerKey: KeyPair;
let jwks: TestJwks;
let merchant: RunningMerchant;
let tab: TabFixture;
let dir: string;

beforeAll(async () => {
  issuerKey = await testKey();
  jwks = await new TestJwks([issuerKey]).start();
  dir = tempDir();
  clock = DateTime.fromISO("2026-03-27T12:00", { zone: ZONE }).toMillis();
  const store = { kind: "sqlite" as const, path: join(dir, "merchant.db") };
  merchant = await startMerchant({
    ...testConfig(dir, store, { url: jwks.url, trustedKeys: [issuerKey.kid] }),
    timeZone: ZONE,
    settlement: { dailyAt: "00:05" },
    now: () => clock,
  });
  const iat = Math.floor(clock / 1000);
  tab = await buildTab(issuerKey, { iat, exp: iat + 300 * 86_400, lim: "100000000" });
});
afterAll(async () => {
  await merchant.close();
  await jwks.close();
});

/** Instants at the edges of a local day, and the repeated hour when there is one. */
function instants(day: string): number[] {
  const start = DateTime.fromISO(day, { zone: ZONE }).startOf("day");
  const end = start.plus({ days: 1 });
  const hours = end.diff(start, "hours").hours;
  const repeated =
    hours === 25
      ? [start.plus({ hours: 2, minutes: 30 }), start.plus({ hours: 3, minutes: 30 })]
      : [];
  return [
    start,
    start.plus({ hours: 2, minutes: 30 }),
    ...repeated,
    start.plus({ hours: 12 }),
    end.minus({ seconds: 1 }),
  ].map((t) => t.toMillis());
}

let seq = 0;
async function pay(at: number): Promise<void> {
  clock = at;
  seq += 1;
  const cum = (PRICE * BigInt(seq)).toString();
  const receipt = await buildReceipt(tab, {
    seq,
    cum,
    iat: Math.floor(at / 1000),
    exp: tab.claims.exp,
  });
  const reply = await postJson(`${merchant.url}/v1/unlock`, {
    certificate: tab.certificate,
    receipt,
  });
  expect([reply.status, reply.body]).toMatchObject([200, {}]);
}

interface Row {
  seq: number;
  at: number;
  bid: string | null;
}

const column = (row: unknown, name: string): unknown => Reflect.get(Object(row), name);

/**
 * Each stored receipt with the batch that covers it: the one tab's lines, in seq order, each
 * cover the receipts after the previous line up to their own seq.
 */
function receiptRows(): Row[] {
  const rows = sqliteRows(join(dir, "merchant.db"));
  const lines = (rows.batch_lines ?? [])
    .map((line) => ({ seq: Number(column(line, "seq")), bid: String(column(line, "bid")) }))
    .sort((a, b) => a.seq - b.seq);
  return (rows.receipts ?? []).map((row) => {
    const seq = Number(column(row, "seq"));
    const covering = lines.find((line) => line.seq >= seq);
    return { seq, at: Number(column(row, "accepted_at")), bid: covering?.bid ?? null };
  });
}

describe("settlement windows across daylight-saving changes", () => {
  it("puts each receipt in exactly one local-day batch, 23 and 25 hours long at the changes", async () => {
    const hoursByDay = new Map<string, number>();
    for (const day of DAYS) {
      for (const at of instants(day)) await pay(at);
      const nextDay = DateTime.fromISO(day, { zone: ZONE }).plus({ days: 1 }).startOf("day");
      clock = nextDay.plus({ minutes: 5 }).toMillis();
      await merchant.settle();
      const count = (await merchant.store.batches()).length;
      clock += 3_600_000;
      await merchant.settle();
      expect((await merchant.store.batches()).length).toBe(count);

      const batch = (await merchant.store.batches()).find((b) =>
        b.win.startsWith(DateTime.fromISO(day, { zone: ZONE }).toISO() ?? ""),
      );
      expect(batch).toBeDefined();
      const [from = "", rest = ""] = (batch?.win ?? "").split("/");
      const to = rest.split("#")[0] ?? "";
      const hours = DateTime.fromISO(to).diff(DateTime.fromISO(from), "hours").hours;
      hoursByDay.set(day, hours);
      for (const row of receiptRows().filter((r) => r.bid === batch?.bid)) {
        expect(row.at).toBeGreaterThanOrEqual(DateTime.fromISO(from).toMillis());
        expect(row.at).toBeLessThan(DateTime.fromISO(to).toMillis());
      }
    }

    expect(Object.fromEntries(hoursByDay)).toEqual({
      "2026-03-28": 24,
      "2026-03-29": 23,
      "2026-03-30": 24,
      "2026-10-24": 24,
      "2026-10-25": 25,
      "2026-10-26": 24,
    });
    const rows = receiptRows();
    expect(rows.length).toBe(seq);
    expect(rows.every((r) => r.bid !== null)).toBe(true);
    const batches = await merchant.store.batches();
    expect(batches.length).toBe(DAYS.length);
    expect(new Set(batches.map((b) => b.win)).size).toBe(DAYS.length);
    const accepted = batches.flatMap((b) => b.lines).reduce((sum, l) => sum + l.accepted, 0n);
    expect(accepted).toBe(PRICE * BigInt(seq));
  });
});
