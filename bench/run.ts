import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { gzipSize, SNIPPET_BUDGET_GZIP, SNIPPET_FILE } from "../merchant-server/snippet/build";
import { generateSigningKey } from "../shared/keys";
import { signToken } from "../shared/tokens/sign";
import { buildTab, now, receiptClaims, testKey } from "../test/support/builders";
import { benchSettle, type SettleBench } from "./settle";
import { benchUnlock, type RateResult } from "./unlock";

/**
 * `npm run bench [-- --quick] [-- --settle-only | --unlock-only]`: every figure side by side in
 * one run, the median of several runs, written to bench/results.json and printed as a table.
 * `--settle-only` and `--unlock-only` measure one part alone and write nothing.
 */
const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "settle-only": { type: "boolean", default: false },
    "unlock-only": { type: "boolean", default: false },
  },
});
const quick = values.quick ?? false;
const settleOnly = values["settle-only"] ?? false;
const unlockOnly = values["unlock-only"] ?? false;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

async function walletSignMs(runs: number, perRun: number): Promise<number> {
  const issuerKey = await testKey();
  const tabKey = await generateSigningKey(false);
  const tab = await buildTab(issuerKey, {}, tabKey);
  const perOp: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    for (let seq = 1; seq <= perRun; seq++) {
      await signToken(
        "receipt",
        receiptClaims(tab, { seq, cum: String(250_000 * seq), iat: now() }),
        tabKey,
      );
    }
    perOp.push((performance.now() - started) / perRun);
  }
  return median(perOp);
}

function summarise(label: string, runs: RateResult[]) {
  return {
    [`${label}_rps`]: round(median(runs.map((r) => r.rps)), 0),
    [`${label}_p50_ms`]: median(runs.map((r) => r.p50_ms)),
    [`${label}_p99_ms`]: median(runs.map((r) => r.p99_ms)),
    [`${label}_cpu_us`]: median(runs.map((r) => r.cpu_us)),
  };
}

function settleFigures(prefix: string, runs: SettleBench[]) {
  const wrong = runs.find((r) => r.payout !== r.expected_payout);
  if (wrong) throw new Error(`${prefix}: paid ${wrong.payout}, expected ${wrong.expected_payout}`);
  return {
    [`${prefix}_s`]: round(median(runs.map((r) => r.seconds))),
    [`${prefix}_peak_rss_mb`]: round(median(runs.map((r) => r.merchant_peak_rss_mb)), 1),
    [`${prefix}_issuer_peak_rss_mb`]: round(median(runs.map((r) => r.issuer_peak_rss_mb)), 1),
  };
}

const plan = quick
  ? {
      rounds: 3,
      tabs: 16,
      perTab: 300,
      seconds: 2,
      settle: [[10_000, 100]] as const,
      settleRuns: 1,
    }
  : {
      rounds: 7,
      tabs: 32,
      perTab: 800,
      seconds: 5,
      settle: [
        [100_000, 10_000],
        [1_000_000, 10_000],
      ] as const,
      settleRuns: 3,
    };

async function settleResults(): Promise<Record<string, number>> {
  const settle: Record<string, number> = {};
  for (const [receipts, tabs] of plan.settle) {
    const label =
      receipts >= 1_000_000 ? `settle_${receipts / 1_000_000}m` : `settle_${receipts / 1000}k`;
    Object.assign(settle, settleFigures(label, await benchSettle(receipts, tabs, plan.settleRuns)));
  }
  return settle;
}

function printTable(results: Record<string, unknown>): void {
  console.table(
    Object.entries(results)
      .filter(([, v]) => typeof v !== "object")
      .map(([figure, value]) => ({ figure, value })),
  );
}

if (settleOnly) {
  printTable(await settleResults());
  process.exit(0);
}

if (!existsSync(SNIPPET_FILE))
  throw new Error("run `npm run build` first: the snippet is not built");

const unlock = await benchUnlock(plan.rounds, plan.tabs, plan.perTab, plan.seconds);
const unlockFigures = summarise("unlock", unlock.unlock);
const baselineFigures = summarise("baseline", unlock.baseline);
const ratio = median(unlock.unlock.map((u, i) => u.rps / (unlock.baseline[i]?.rps ?? Infinity)));
if (unlockOnly) {
  printTable({ ...unlockFigures, ...baselineFigures, unlock_ratio: round(ratio) });
  process.exit(0);
}
const settle = await settleResults();

const results = {
  measured_at: new Date().toISOString(),
  quick,
  machine: { node: process.version, cpus: (await import("node:os")).cpus().length },
  ...unlockFigures,
  ...baselineFigures,
  unlock_ratio: round(ratio),
  unlock_refused: unlock.unlock.reduce((sum, r) => sum + r.non2xx, 0),
  ...settle,
  snippet_gzip_bytes: gzipSize(readFileSync(SNIPPET_FILE)),
  snippet_budget_bytes: SNIPPET_BUDGET_GZIP,
  wallet_sign_ms: round(await walletSignMs(5, quick ? 200 : 1000), 3),
};

if (!quick) writeFileSync("bench/results.json", `${JSON.stringify(results, null, 2)}\n`);
printTable(results);
