import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/**
 * Starts a throwaway PostgreSQL cluster on loopback for the test run, from Debian's packages.
 * Set OPENTAB_TEST_PG_URL to use a server you already run instead.
 */
export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort().reverse() : [];
  const bin = versions
    .map((v) => join(root, v, "bin"))
    .find((dir) => existsSync(join(dir, "initdb")));
  if (!bin) {
    throw new Error("PostgreSQL is not installed: apt-get install -y postgresql (see .ci/run)");
  }
  return bin;
}

// initdb and postgres refuse to run as root, which is how CI runs: drop to the postgres user.
function serviceUser(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return { uid, gid };
}

async function waitForReady(url: string, server: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (server.exitCode !== null) throw new Error("PostgreSQL exited during start-up");
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error("PostgreSQL did not accept connections within 20 s");
}

export async function startPostgres(port: number): Promise<TestPostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), "opentab-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const user = serviceUser();
  execFileSync(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync"], {
    stdio: "ignore",
    ...user,
  });
  const server = spawn(
    join(bin, "postgres"),
    [
      "-D",
      data,
      "-k",
      dir,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=300",
      "-c",
      "fsync=off",
    ],
    { stdio: "ignore", ...user },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitForReady(url, server);
  return {
    url,
    async stop() {
      server.kill("SIGINT");
      await new Promise((resolve) => server.once("exit", resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates an empty database for one test file, so suites never see each other's rows. */
export async function createTestDatabase(name: string): Promise<string> {
  const base = process.env.OPENTAB_TEST_PG_URL;
  if (!base) throw new Error("OPENTAB_TEST_PG_URL is not set: run the tests through vitest");
  const database = `${name}_${process.pid}_${Math.floor(Math.random() * 1e9)}`.toLowerCase();
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}
