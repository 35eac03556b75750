import { Command, Option } from "commander";
import { OpenTabError } from "../shared/errors";
import { loadConfigFile } from "./config";
import { loadMerchantKey } from "./merchant-key";
import { reportCsv, reportJson } from "./reconciliation";
import { type RunningMerchant, startMerchant } from "./start";

/** The merchant server's command line: serve, settle, reconcile, key. */

// One-shot commands run a private instance on a random loopback port, so they work next to a
// running server that holds the configured port.
async function withMerchant<T>(path: string, work: (m: RunningMerchant) => Promise<T>): Promise<T> {
  const merchant = await startMerchant({ ...loadConfigFile(path), host: "127.0.0.1", port: 0 });
  try {
    return await work(merchant);
  } finally {
    await merchant.close();
  }
}

const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);

const program = new Command("opentab-merchant").description("OpenTab merchant server");

program
  .command("serve")
  .requiredOption("--config <file>", "merchant config (JSON)")
  .action(async ({ config }: { config: string }) => {
    const merchant = await startMerchant(loadConfigFile(config));
    process.stdout.write(`merchant server listening on ${merchant.url}\n`);
    const stop = () => void merchant.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

program
  .command("settle")
  .requiredOption("--config <file>", "merchant config (JSON)")
  .action(async ({ config }: { config: string }) => {
    const run = await withMerchant(config, (m) => m.settle());
    process.stdout.write(`${json(run)}\n`);
    // A batch left pending (issuer unreachable or refusing) is retried with the same id on the
    // next run; the exit status lets a scheduler notice meanwhile.
    if (run.batches.some((b) => b.status === "pending")) process.exitCode = 2;
  });

program
  .command("reconcile")
  .requiredOption("--config <file>", "merchant config (JSON)")
  .addOption(
    new Option("--format <format>", "report format").choices(["json", "csv"]).default("json"),
  )
  .action(async ({ config, format }: { config: string; format: "json" | "csv" }) => {
    const report = await withMerchant(config, (m) => m.reconciliation());
    const text = format === "csv" ? reportCsv(report) : `${json(reportJson(report))}\n`;
    process.stdout.write(text);
  });

program
  .command("key")
  .requiredOption("--config <file>", "merchant config (JSON)")
  .description("print the merchant's public key (JWK) to register with the issuer")
  .action(async ({ config }: { config: string }) => {
    const key = await loadMerchantKey(loadConfigFile(config).keyFile);
    process.stdout.write(`${json({ ...key.publicJwk, kid: key.kid })}\n`);
  });

program.parseAsync().catch((e: unknown) => {
  const message = e instanceof OpenTabError ? `${e.code}: ${e.message}` : String(e);
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
