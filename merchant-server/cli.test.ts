import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeyPair } from "../shared/keys";
import { buildReceipt, buildTab, testKey } from "../test/support/builders";
import { MerchantClient } from "./client";
import { startMerchant } from "./start";
import { TestJwks, tempDir, testConfig } from "./testing";

const ROOT = resolve(import.meta.dirname, "..");

describe("the settle command", () => {
  let issuerKey: KeyPair;
  let jwks: TestJwks;

  beforeAll(async () => {
    issuerKey = await testKey();
    jwks = await new TestJwks([issuerKey]).start();
  });
  afterAll(() => jwks.close());

  it("exits with 2 when the issuer takes no batch, and the batch stays pending", async () => {
    const dir = tempDir();
    // The issuer's keys are served, but nothing there takes a settlement batch.
    const issuer = { url: jwks.url, trustedKeys: [issuerKey.kid] };
    const config = testConfig(dir, { kind: "sqlite", path: join(dir, "merchant.db") }, issuer);
    const path = join(dir, "merchant.json");
    writeFileSync(path, JSON.stringify(config));
    const merchant = await startMerchant(config);
    try {
      const tab = await buildTab(issuerKey);
      const receipt = await buildReceipt(tab);
      await new MerchantClient(merchant.url).unlock({ certificate: tab.certificate, receipt });
    } finally {
      await merchant.close();
    }

    // Not spawnSync: the issuer's keys are served from this process.
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "merchant-server/main.ts", "settle", "--config", path],
      {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: "silent" },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const status = await new Promise<number | null>((done) => child.once("exit", done));
    expect(status).toBe(2);
    const run = JSON.parse(stdout) as { batches: { status: string }[] };
    expect(run.batches.map((b) => b.status)).toEqual(["pending"]);
  });
});
