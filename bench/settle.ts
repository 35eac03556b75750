import { cpSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IssuerClient, type WalletAuth } from "../issuer/client";
import { loadMerchantKey } from "../merchant-server/merchant-key";
import { SqliteStore } from "../merchant-server/store/sqlite";
import { ORIGIN, tempDir, testConfig } from "../merchant-server/testing";
import { randomId } from "../shared/ids";
import { generateSigningKey, type KeyPair } from "../shared/keys";
import { signToken } from "../shared/tokens/sign";
import { now } from "../test/support/builders";
import { peakRssMb, spawnChild } from "./children";

/**
 * settle_*: building and clearing settlement for `receipts` stored receipts across `tabs` tabs.
 * Setup (not timed) opens real tabs at a real issuer and stores real signed receipts in the
 * merchant's SQLite store; the timed part is one `settle()` in the merchant's own process: claim
 * the window, build and sign the batches, the issuer verifying and clearing every line, the
 * statement verified and stored. Peak RSS is each process's own high-water mark.
 */

const PRICE = 10_000n;
const MERCHANT = "daily-planet";
const ADMIN = "bench-admin-token-0123456789";

export interface SettleBench {
  receipts: number;
  tabs: number;
  seconds: number;
  merchant_peak_rss_mb: number;
  issuer_peak_rss_mb: number;
  batches: number;
  payout: string;
  expected_payout: string;
}

async function openTabs(client: IssuerClient, auth: WalletAuth, count: number, limit: bigint) {
  const tabs: { id: string; certificate: string; key: KeyPair }[] = [];
  let next = 0;
  const worker = async () => {
    for (let slot = next++; slot < count; slot = next++) {
      const key = await generateSigningKey(true);
      const opened = await client.openTab(auth, {
        merchant: MERCHANT,
        key: key.publicJwk,
        limit,
        currency: "USD",
      });
      tabs[slot] = { id: opened.tab, certificate: opened.certificate, key };
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return tabs;
}

async function storeReceipts(
  path: string,
  merchantKey: KeyPair,
  tabs: Awaited<ReturnType<typeof openTabs>>,
  perTab: number,
  limit: bigint,
): Promise<void> {
  const store = new SqliteStore(path);
  const iat = now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < tabs.length; i = next++) {
      const tab = tabs[i];
      if (!tab) continue;
      // One real grant per tab stands in for the per-receipt grants: settlement never reads them.
      const grant = await signToken(
        "grant",
        {
          iss: MERCHANT,
          aud: MERCHANT,
          jti: randomId("gr"),
          tab: tab.id,
          off: "moon-landing",
          res: "moon-landing",
          iat,
          exp: iat + 86400,
        },
        merchantKey,
      );
      for (let seq = 1; seq <= perTab; seq++) {
        const cum = PRICE * BigInt(seq);
        const claims = {
          aud: MERCHANT,
          tab: tab.id,
          seq,
          amt: String(PRICE),
          cum: String(cum),
          org: ORIGIN,
          res: "moon-landing",
          off: "moon-landing",
          iat,
          exp: iat + 30 * 86400,
        };
        const token = await signToken("receipt", claims, tab.key);
        await store.commit({
          certificate: { limit, token: tab.certificate },
          tab: tab.id,
          currency: "USD",
          seq,
          prevSeq: seq - 1,
          amt: PRICE,
          cum,
          offer: "moon-landing",
          resource: "moon-landing",
          payloadHash: token.split(".")[1] ?? "",
          token,
          grant,
          acceptedAt: Date.now() - 1000,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  await store.close();
}

function issuerConfig(dir: string): string {
  const path = join(dir, "issuer.json");
  const store = { kind: "sqlite", path: join(dir, "issuer.db") };
  const config = {
    port: 0,
    adminToken: ADMIN,
    testFunding: true,
    store,
    keyFile: join(dir, "issuer-keys.json"),
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** Opens the tabs and stores the receipts once; every measured run starts from a copy of it. */
export async function prepare(
  receipts: number,
  tabCount: number,
): Promise<{ dir: string; perTab: number }> {
  const perTab = Math.ceil(receipts / tabCount);
  const limit = PRICE * BigInt(perTab);
  const dir = tempDir();
  const issuerChild = spawnChild("bench/issuer-child.ts", [issuerConfig(dir)]);
  try {
    const client = new IssuerClient(String((await issuerChild.next()).url));
    const merchantKey = await loadMerchantKey(join(dir, "merchant-key.json"));
    await client.registerMerchant(ADMIN, {
      id: MERCHANT,
      name: "Bench",
      origins: [ORIGIN],
      server: "http://127.0.0.1:9",
      currency: "USD",
      keys: [merchantKey.publicJwk],
      payoutAccount: "bench",
    });
    const identity = await generateSigningKey(true);
    const { wallet } = await client.register(identity);
    const auth = { wallet, key: identity };
    await client.topUp(auth, limit * BigInt(tabCount), "USD");
    const tabs = await openTabs(client, auth, tabCount, limit);
    await storeReceipts(join(dir, "merchant.db"), merchantKey, tabs, perTab, limit);
  } finally {
    await issuerChild.stop();
  }
  return { dir, perTab };
}

export async function measure(
  snapshot: string,
  perTab: number,
  tabCount: number,
): Promise<SettleBench> {
  const dir = tempDir();
  cpSync(snapshot, dir, { recursive: true });
  const issuerChild = spawnChild("bench/issuer-child.ts", [issuerConfig(dir)]);
  try {
    const { url, keys } = await issuerChild.next();
    const config = testConfig(
      dir,
      { kind: "sqlite", path: join(dir, "merchant.db") },
      { url: String(url), trustedKeys: keys as string[] },
    );
    const merchantConfig = join(dir, "merchant.json");
    writeFileSync(merchantConfig, JSON.stringify(config));
    const merchant = spawnChild("bench/merchant-child.ts", [merchantConfig]);
    try {
      await merchant.next();
      merchant.send("settle");
      const run = await merchant.next();
      return {
        receipts: perTab * tabCount,
        tabs: tabCount,
        seconds: Number(run.seconds),
        merchant_peak_rss_mb: Number(run.peakKb) / 1024,
        issuer_peak_rss_mb: await peakRssMb(issuerChild.process.pid ?? 0),
        batches: Number(run.batches),
        payout: String(run.payout),
        expected_payout: String(PRICE * BigInt(perTab * tabCount)),
      };
    } finally {
      await merchant.stop();
    }
  } finally {
    await issuerChild.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSettle(
  receipts: number,
  tabs: number,
  runs: number,
): Promise<SettleBench[]> {
  const { dir, perTab } = await prepare(receipts, tabs);
  const results: SettleBench[] = [];
  for (let run = 0; run < runs; run++) results.push(await measure(dir, perTab, tabs));
  rmSync(dir, { recursive: true, force: true });
  return results;
}
