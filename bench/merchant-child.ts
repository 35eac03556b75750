import { readFileSync } from "node:fs";
import { startMerchant } from "../merchant-server/start";

/**
 * A merchant server in its own process for the benchmark, so the load generator and the server
 * do not share an event loop. Config path in argv; prints the URL, then on "settle" on stdin runs
 * settlement and prints its duration and this process's peak RSS.
 */
const merchant = await startMerchant(JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")));
process.stdout.write(`${JSON.stringify({ url: merchant.url })}\n`);

process.stdin.setEncoding("utf8");
process.stdin.on("data", async (line: string) => {
  if (line.trim() !== "settle") return;
  const started = performance.now();
  const run = await merchant.settle();
  const seconds = (performance.now() - started) / 1000;
  const status = readFileSync("/proc/self/status", "utf8");
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const settled = run.batches.filter((b) => b.status === "settled").length;
  const payout = run.batches.reduce((sum, b) => sum + (b.payout ?? 0n), 0n).toString();
  const report = { seconds, peakKb, batches: run.batches.length, settled, payout };
  process.stdout.write(`${JSON.stringify(report)}\n`);
});
process.on("SIGTERM", () => merchant.close().then(() => process.exit(0)));
