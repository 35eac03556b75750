import { resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { type Demo, startDemo } from "../demo/start";

/**
 * `npm start`: the demo's CLI. Prints where everything is and how to load the wallet, and stops
 * every server and store on Ctrl-C (SIGINT) or SIGTERM, exiting 0.
 */

const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError("a TCP port");
  return n;
};

const options = new Command()
  .name("npm start --")
  .description("Start the issuer and two demo publishers on loopback, with test money.")
  .option("--data-dir <dir>", "where the SQLite files and keys live", process.env.OPENTAB_DATA_DIR)
  .option("--issuer-port <port>", "issuer port (0 = any free port)", port)
  .option("--news-port <port>", "news site port", port)
  .option("--second-port <port>", "second site port", port)
  .parse()
  .opts<{ dataDir?: string; issuerPort?: number; newsPort?: number; secondPort?: number }>();

// The servers log JSON lines; the demo keeps them to warnings so the banner stays readable.
process.env.LOG_LEVEL ??= "warn";

function banner(demo: Demo): string {
  const api = demo.second.api?.url ?? "";
  return `
OpenTab demo: test money only, nothing here is real money.

  Issuer (test funding on)  ${demo.issuer.url}
  ${demo.news.name.padEnd(24)}  ${demo.news.origin}/
  ${demo.second.name.padEnd(24)}  ${demo.second.origin}/

Load the wallet in Chrome or Chromium:
  1. open chrome://extensions
  2. switch on "Developer mode" (top right)
  3. click "Load unpacked" and choose ${resolve("dist/extension")}
  4. in the wallet, create it and add test money, then open an article on either site

The paid JSON API answers 402 with its offers until it is paid:
  curl -i ${api}

Data: ${demo.dataDir}    Ctrl-C stops everything.
`;
}

// Handlers go in before anything starts, so a Ctrl-C during start-up also ends cleanly.
let signalled: string | undefined;
let demo: Demo | undefined;

async function shutdown(signal: string): Promise<void> {
  process.stdout.write(`\n${signal}: stopping the demo…\n`);
  try {
    await demo?.stop();
    process.exit(0);
  } catch (e: unknown) {
    process.stderr.write(`demo did not stop cleanly: ${String(e)}\n`);
    process.exit(1);
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (signalled) return;
    signalled = signal;
    // During start-up, stopping waits until startDemo has answered (see below).
    if (demo) void shutdown(signal);
  });
}

try {
  demo = await startDemo({
    dataDir: options.dataDir ?? "./data",
    ports: { issuer: options.issuerPort, news: options.newsPort, second: options.secondPort },
  });
} catch (e: unknown) {
  // A port in use or a data directory registered on other ports: say so, without a stack trace.
  const reason = e instanceof Error ? e.message : String(e);
  process.stderr.write(`The demo could not start: ${reason}\n`);
  process.stderr.write("Free the ports, or start with another --data-dir and other ports.\n");
  process.exit(1);
}
if (signalled) await shutdown(signalled);
process.stdout.write(banner(demo));
