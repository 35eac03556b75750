import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OpenTabError } from "../shared/errors";
import {
  issuerSuite,
  newWallet,
  openTestTab,
  type StoreKind,
  signBatch,
  signReceipt,
  type TestTab,
  type TestWallet,
} from "./testing";

// Refusals a random sequence is expected to run into; anything else fails the property.
const EXPECTED = new Set(["insufficient_funds", "tab_closed", "tab_limit_lower"]);

const op = fc.oneof(
  fc.record({
    kind: fc.constant("topup" as const),
    wallet: fc.nat(2),
    amount: fc.bigInt(1n, 5_000_000n),
  }),
  fc.record({
    kind: fc.constant("open" as const),
    wallet: fc.nat(2),
    limit: fc.bigInt(1n, 4_000_000n),
  }),
  fc.record({ kind: fc.constant("raise" as const), tab: fc.nat(9), by: fc.bigInt(1n, 2_000_000n) }),
  fc.record({
    kind: fc.constant("settle" as const),
    tab: fc.nat(9),
    tenths: fc.integer({ min: 1, max: 12 }),
  }),
  fc.record({ kind: fc.constant("close" as const), tab: fc.nat(9) }),
  fc.record({ kind: fc.constant("expire" as const) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

interface Model {
  wallets: TestWallet[];
  tabs: { tab: TestTab; wallet: TestWallet; limit: bigint; seq: number }[];
}

describe.each<StoreKind>(["sqlite", "postgres"])("ledger over %s", (kind) => {
  const env = issuerSuite(kind, "ledger-shop");
  let windows = 0;

  async function apply(model: Model, step: Op): Promise<void> {
    const pick = <T>(list: T[], i: number) => list[i % Math.max(list.length, 1)];
    if (step.kind === "topup") {
      const wallet = pick(model.wallets, step.wallet);
      if (wallet) await env.client.topUp(wallet, step.amount, "USD");
    } else if (step.kind === "open") {
      const wallet = pick(model.wallets, step.wallet);
      if (!wallet) return;
      const tab = await openTestTab(env.client, wallet, env.shop, step.limit);
      model.tabs.push({ tab, wallet, limit: step.limit, seq: 0 });
    } else if (step.kind === "raise") {
      const entry = pick(model.tabs, step.tab);
      if (!entry) return;
      const raised = await env.client.raiseLimit(
        entry.wallet,
        entry.tab.tab,
        entry.limit + step.by,
      );
      entry.limit = raised.limit;
      entry.tab = { ...entry.tab, certificate: raised.certificate };
    } else if (step.kind === "settle") {
      const entry = pick(model.tabs, step.tab);
      if (!entry) return;
      const cum = (entry.limit * BigInt(step.tenths)) / 10n || 1n;
      entry.seq += 1;
      const receipt = await signReceipt(entry.tab, env.shop, entry.seq, cum);
      const lines = [{ certificate: entry.tab.certificate, receipt }];
      await env.client.settle(await signBatch(env.issuer, env.shop, lines, `w-prop#${++windows}`));
    } else if (step.kind === "close") {
      const entry = pick(model.tabs, step.tab);
      if (entry) await env.client.closeTab(entry.wallet, entry.tab.tab);
    } else {
      await env.issuer.releaseExpired(Math.floor(Date.now() / 1000) + 400 * 86_400);
    }
  }

  it("keeps every entry balanced and every balance equal to its entries after random sequences", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (steps) => {
        const model: Model = {
          wallets: [await newWallet(env.client), await newWallet(env.client)],
          tabs: [],
        };
        for (const step of steps) {
          try {
            await apply(model, step);
          } catch (e: unknown) {
            if (!(e instanceof OpenTabError) || !EXPECTED.has(e.code)) throw e;
          }
        }
        const audit = await env.issuer.store.audit();
        expect(audit.total).toBe(0n);
        expect(audit.mismatched).toEqual([]);
        expect(audit.reservedMismatch).toEqual([]);
      }),
      { numRuns: 10 },
    );
  });
});
