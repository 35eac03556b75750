import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMerchantKey } from "../../merchant-server/merchant-key";
import { batchId, randomId } from "../../shared/ids";
import type { KeyPair } from "../../shared/keys";
import { type BatchClaims, StatementClaims } from "../../shared/schemas";
import { signToken } from "../../shared/tokens/sign";
import { peekClaims } from "../../shared/tokens/verify";
import {
  certificateFor,
  expectRefused,
  type LiveTab,
  type LiveWorld,
  nowS,
  postJson,
  receiptFor,
  startLiveWorld,
  unchanged,
} from "./support";

/**
 * Settlement batches a merchant (or someone holding its key) sends the issuer directly:
 * whatever a batch claims, the issuer pays at most what each tab's receipts add up to.
 */

let world: LiveWorld;
let planetKey: KeyPair;
let gazetteKey: KeyPair;
beforeAll(async () => {
  world = await startLiveWorld();
  planetKey = await loadMerchantKey(join(world.dir, "daily-planet-key.json"));
  gazetteKey = await loadMerchantKey(join(world.dir, "gotham-gazette-key.json"));
});
afterAll(() => world.close());

let windows = 0;
async function batch(
  lines: BatchClaims["lines"],
  overrides: Partial<BatchClaims> = {},
  key = planetKey,
): Promise<string> {
  const win = `2026-01-01T00:00:00Z/2026-01-02T00:00:00Z#${++windows}`;
  const iat = nowS();
  const claims: BatchClaims = {
    iss: "daily-planet",
    aud: world.issuer.issuerId,
    bid: await batchId("daily-planet", "USD", win),
    cur: "USD",
    win,
    lines,
    iat,
    exp: iat + 86_400,
    ...overrides,
  };
  return signToken("batch", claims, key);
}

/**
 * An EUR tab at a USD merchant, which the API never opens (a wallet opens tabs only in the
 * merchant's currency): made in the issuer's store, its certificate signed with its key.
 */
async function eurTab(): Promise<LiveTab> {
  await world.issuerClient.topUp(world.wallet, 10_000_000n, "EUR");
  const tab = await world.openTab("daily-planet");
  const id = randomId("tab");
  await world.issuer.store.openTab({
    id,
    wallet: world.wallet.wallet,
    merchant: "daily-planet",
    currency: "EUR",
    tabKid: tab.key.kid,
    tabJwk: tab.key.publicJwk,
    limit: 5_000_000n,
    at: nowS(),
    expiresAt: tab.expiresAt,
  });
  const eur = { ...tab, tab: id };
  const certificate = await certificateFor(eur, world.issuer.issuerId, world.issuerKey, {
    cur: "EUR",
  });
  return { ...eur, certificate };
}

const settle = (token: string) => postJson(`${world.issuer.url}/v1/settlements`, { batch: token });

async function line(tab: LiveTab, seq = 1, cum = "250000") {
  return {
    certificate: tab.certificate,
    receipt: await receiptFor(tab, { seq, cum, amt: "250000" }),
  };
}

/**
 * The issuer's money: non-zero balances, transfers, ledger entries and each tab's settled
 * amount. (Clearing a batch opens the merchant's payable account at zero; that moves nothing.)
 */
function money() {
  const { accounts = [], transfers, entries, tabs } = world.snapshot().issuer ?? {};
  const held = accounts.filter(
    (row) => typeof row === "object" && row !== null && "balance" in row && row.balance !== 0n,
  );
  return { accounts: held, transfers, entries, tabs };
}

function statementOf(body: unknown) {
  const token = (body as { statement: string }).statement;
  return StatementClaims.parse(peekClaims(token));
}

describe("settlement batches", () => {
  it("refuses every line of a batch whose currency is not its tabs' (currency_mismatch), pays nothing", async () => {
    const tab = await world.openTab("daily-planet");
    const before = money();
    const reply = await settle(await batch([await line(tab)], { cur: "EUR" }));
    expect(reply.status).toBe(200);
    const statement = statementOf(reply.body);
    expect(statement.lines.map((l) => [l.status, l.code, l.paid])).toEqual([
      ["refused", "currency_mismatch", "0"],
    ]);
    expect(statement.payout).toBe("0");
    expect(money()).toEqual(before);
  });

  it("in a batch mixing a USD and an EUR tab, refuses the EUR line (currency_mismatch) and pays only the USD one", async () => {
    const usd = await world.openTab("daily-planet");
    const eur = await eurTab();
    const eurBefore = await world.issuer.store.tab(eur.tab);
    const reply = await settle(await batch([await line(usd), await line(eur)]));
    const lines = statementOf(reply.body).lines;
    // Statement lines come in batch order (protocol §2.6), whatever the tab ids are.
    expect(lines.map((l) => [l.tab, l.status, l.code ?? "", l.paid])).toEqual([
      [usd.tab, "accepted", "", "250000"],
      [eur.tab, "refused", "currency_mismatch", "0"],
    ]);
    expect(await world.issuer.store.tab(eur.tab)).toEqual(eurBefore);
  });

  it("refuses a batch id reused with other lines (batch_conflict) and changes nothing", async () => {
    const tab = await world.openTab("daily-planet");
    const first = await batch([await line(tab)]);
    expect((await settle(first)).status).toBe(200);
    const { bid, win } = peekClaims(first) ?? {};
    const other = await world.openTab("daily-planet");
    const reused = await batch([await line(other)], {
      bid: String(bid),
      win: String(win),
    });
    expectRefused(await unchanged(world, () => settle(reused)), "batch_conflict");
    expect((await world.issuer.store.tab(other.tab))?.settled).toBe(0n);
  });

  it("answers the same statement for the same batch sent twice, and pays once", async () => {
    const tab = await world.openTab("daily-planet");
    const token = await batch([await line(tab)]);
    const first = await settle(token);
    const again = await unchanged(world, () => settle(token));
    expect(again.body).toEqual(first.body);
    expect((await world.issuer.store.tab(tab.tab))?.settled).toBe(250000n);
  });

  it("refuses a batch signed with another merchant's key (token_key_unknown)", async () => {
    const tab = await world.openTab("daily-planet");
    const token = await batch([await line(tab)], {}, gazetteKey);
    expectRefused(await unchanged(world, () => settle(token)), "token_key_unknown");
  });

  it("refuses a batch addressed to another issuer (token_audience_invalid)", async () => {
    const tab = await world.openTab("daily-planet");
    const token = await batch([await line(tab)], { aud: "https://other-issuer.example" });
    expectRefused(await unchanged(world, () => settle(token)), "token_audience_invalid");
  });

  it("refuses a line whose certificate claims a higher limit than the issuer reserved (tab_limit_exceeded)", async () => {
    const tab = await world.openTab("daily-planet", 500_000n);
    const raised = await certificateFor(tab, world.issuer.issuerId, world.issuerKey, {
      lim: "9000000",
    });
    const receipt = await receiptFor(tab, { seq: 3, cum: "750000" });
    const before = money();
    const reply = await settle(await batch([{ certificate: raised, receipt }]));
    const [only] = statementOf(reply.body).lines;
    expect([only?.status, only?.code]).toEqual(["refused", "tab_limit_exceeded"]);
    expect(money()).toEqual(before);
  });

  it("refuses a line for another merchant's tab (merchant_mismatch) and pays nothing", async () => {
    const tab = await world.openTab("gotham-gazette");
    const before = money();
    const reply = await settle(await batch([await line(tab)]));
    const [only] = statementOf(reply.body).lines;
    expect([only?.status, only?.code]).toEqual(["refused", "merchant_mismatch"]);
    expect(money()).toEqual(before);
  });

  it("pays a tab once when the same batch holds its older and newer receipt", async () => {
    const tab = await world.openTab("daily-planet");
    const reply = await settle(await batch([await line(tab, 1), await line(tab, 2, "500000")]));
    expect(statementOf(reply.body).gross).toBe("500000");
    expect((await world.issuer.store.tab(tab.tab))?.settled).toBe(500000n);
  });
});
