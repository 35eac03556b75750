import { writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { TestJwks, tempDir, testConfig } from "../merchant-server/testing";
import { buildReceipt, buildTab, testKey } from "../test/support/builders";
import { type Child, cpuSeconds, spawnChild } from "./children";

/**
 * unlock_rps against baseline_rps, side by side in one run: the same Express setup, request
 * bodies of the same size, the same load generator. Each connection owns one tab and sends its
 * receipts in seq order, as a wallet does.
 */

const PRICE = 250_000n;
const WARM_UP_S = 3;

export interface RateResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  non2xx: number;
  /** The server's CPU time (every thread) per answered-2xx request: steadier than rps. */
  cpu_us: number;
}

async function signedBodies(
  tabs: number,
  perTab: number,
  issuerKey: Awaited<ReturnType<typeof testKey>>,
) {
  return Promise.all(
    Array.from({ length: tabs }, async () => {
      const tab = await buildTab(issuerKey, { lim: String(PRICE * BigInt(perTab)) });
      const bodies: string[] = [];
      for (let seq = 1; seq <= perTab; seq++) {
        const receipt = await buildReceipt(tab, {
          seq,
          amt: String(PRICE),
          cum: String(PRICE * BigInt(seq)),
        });
        bodies.push(JSON.stringify({ certificate: tab.certificate, receipt }));
      }
      return { bodies, jwk: tab.tabKey.publicJwk };
    }),
  );
}

async function load(
  server: Server,
  perConnection: string[][],
  seconds: number,
): Promise<RateResult> {
  let nextConnection = 0;
  const cpuBefore = await cpuSeconds(server.pid);
  const result = await autocannon({
    url: `${server.url}/v1/unlock`,
    method: "POST",
    headers: { "content-type": "application/json" },
    connections: perConnection.length,
    pipelining: 1,
    duration: seconds,
    // Each connection is one wallet: it owns a tab and sends that tab's receipts in seq order,
    // the next one only after the previous answer.
    setupClient: (client) => {
      const bodies = perConnection[nextConnection++] ?? [];
      let sent = 0;
      client.setBody(bodies[0] ?? "");
      client.on("response", () => {
        sent++;
        client.setBody(bodies[sent % bodies.length] ?? "");
      });
    },
  });
  const cpu = (await cpuSeconds(server.pid)) - cpuBefore;
  return {
    // Only answered-2xx requests count: for the unlock path, those are accepted receipts.
    rps: result["2xx"] / seconds,
    cpu_us: Math.round((cpu * 1e6) / Math.max(result["2xx"], 1)),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non2xx: result.non2xx,
  };
}

interface Server {
  url: string;
  pid: number;
}

function pidOf(child: Child): number {
  const { pid } = child.process;
  if (pid === undefined) throw new Error("bench child has no pid");
  return pid;
}

export interface UnlockBench {
  unlock: RateResult[];
  baseline: RateResult[];
}

/**
 * Each round signs `perTab` receipts for each of `tabs` fresh tabs, enough that no connection
 * runs out within `seconds` (a connection that ran out would show as refusals, `non2xx`).
 */
export async function benchUnlock(
  rounds: number,
  tabs: number,
  perTab: number,
  seconds: number,
): Promise<UnlockBench> {
  const dir = tempDir();
  const issuerKey = await testKey();
  const jwks = await new TestJwks([issuerKey]).start();
  const configPath = join(dir, "merchant.json");
  const config = testConfig(
    dir,
    { kind: "sqlite", path: join(dir, "merchant.db") },
    { url: jwks.url, trustedKeys: [issuerKey.kid] },
  );
  writeFileSync(configPath, JSON.stringify(config));
  const children: Child[] = [];
  const result: UnlockBench = { unlock: [], baseline: [] };
  try {
    const merchant = spawnChild("bench/merchant-child.ts", [configPath]);
    children.push(merchant);
    const merchantServer = { url: String((await merchant.next()).url), pid: pidOf(merchant) };

    // Warm both servers (JIT, caches) before measuring; the warm-up receipts are real unlocks.
    // One second left the first round well below the rest: the optimising compiler was still at
    // work on the merchant's longer path.
    const warm = await signedBodies(tabs, 400, issuerKey);
    const first = warm[0];
    if (!first) throw new Error("no tabs");
    const baseline = spawnChild("bench/baseline-server.ts", [], {
      BASELINE_JWK: JSON.stringify(first.jwk),
    });
    children.push(baseline);
    const baselineServer = { url: String((await baseline.next()).url), pid: pidOf(baseline) };
    await load(
      merchantServer,
      warm.map((t) => t.bodies),
      WARM_UP_S,
    );
    await load(
      baselineServer,
      warm.map(() => first.bodies),
      WARM_UP_S,
    );

    for (let round = 0; round < rounds; round++) {
      const sets = await signedBodies(tabs, perTab, issuerKey);
      // The baseline verifies against one fixed key: give it that key's receipts, same size.
      result.baseline.push(
        await load(
          baselineServer,
          sets.map(() => first.bodies),
          seconds,
        ),
      );
      result.unlock.push(
        await load(
          merchantServer,
          sets.map((t) => t.bodies),
          seconds,
        ),
      );
    }
    return result;
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    await jwks.close();
  }
}
