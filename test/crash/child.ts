import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";

/**
 * Servers as child processes (node with the tsx loader, one process, so SIGKILL hits the server
 * itself), and a seeded PRNG so every kill lands at the same point on every run.
 */

const ROOT = resolve(import.meta.dirname, "../..");

export interface Child {
  process: ChildProcess;
  /** Resolves when the process has exited (after a kill or by itself). */
  exited: Promise<void>;
  kill(): Promise<void>;
}

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LOG_LEVEL: "silent" },
  });
}

function wrap(child: ChildProcess): Child {
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  return {
    process: child,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Starts `merchant-server/main.ts serve` and answers its URL once it listens. */
export function spawnMerchant(config: string): Promise<{ child: Child; url: string }> {
  const child = wrap(start(["merchant-server/main.ts", "serve", "--config", config]));
  return new Promise((done, fail) => {
    let out = "";
    let err = "";
    child.process.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) done({ child, url });
    });
    child.process.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    void child.exited.then(() => fail(new Error(`merchant exited before listening: ${err}`)));
  });
}

/** Starts `issuer/main.ts serve` and waits until its health check answers. */
export async function spawnIssuer(config: string, url: string): Promise<Child> {
  const child = wrap(start(["issuer/main.ts", "serve", "--config", config]));
  let gone = false;
  void child.exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) throw new Error("issuer exited before listening");
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return child;
    await new Promise((done) => setTimeout(done, 50));
  }
}

export function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
