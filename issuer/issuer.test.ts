import { importJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenTabError } from "../shared/errors";
import { generateSigningKey } from "../shared/keys";
import type { StatementClaims } from "../shared/schemas";
import { peekClaims, verifyToken } from "../shared/tokens/verify";
import type { IssuerClient } from "./client";
import {
  newMerchant,
  newWallet,
  openTestTab,
  type StoreKind,
  signBatch,
  signReceipt,
  startTestIssuer,
  type TestIssuer,
  type TestMerchant,
} from "./testing";

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (e: unknown) {
    if (e instanceof OpenTabError) return e.code;
    throw e;
  }
  return undefined;
}

async function readStatement(client: IssuerClient, token: string): Promise<StatementClaims> {
  const { keys } = await client.jwks();
  const { claims } = await verifyToken("statement", token, {
    key: async (kid) => {
      const jwk = keys.find((k) => k.kid === kid);
      return jwk ? ((await importJWK(jwk, "ES256")) as CryptoKey) : undefined;
    },
  });
  return claims;
}

const USD = (major: number) => BigInt(major) * 1_000_000n;

describe.each<StoreKind>(["sqlite", "postgres"])("issuer over %s", (kind) => {
  let t: TestIssuer;
  let client: IssuerClient;
  let shop: TestMerchant;
  let merchantCount = 0;

  beforeAll(async () => {
    t = await startTestIssuer(kind);
    client = t.client;
    shop = await newMerchant(client, "daily-planet");
  });
  afterAll(() => t.issuer.close());

  async function fundedWallet(major: number) {
    const wallet = await newWallet(client);
    await client.topUp(wallet, USD(major), "USD");
    return wallet;
  }

  it("credits test money, labelled as such, and shows it in the wallet statement", async () => {
    const wallet = await newWallet(client);
    const topUp = await client.topUp(wallet, USD(5), "USD");
    expect(topUp).toMatchObject({ balance: USD(5), testMoney: true });
    const statement = await client.statement(wallet);
    expect(statement.balances).toEqual([
      { currency: "USD", available: USD(5), reserved: 0n, spent: 0n, testMoney: true },
    ]);
    expect(statement.movements[0]).toMatchObject({ kind: "topup", amount: USD(5) });
  });

  it("serves a merchant's public record and refuses an unknown one (merchant_unknown)", async () => {
    expect(await client.merchant("daily-planet")).toEqual({
      id: "daily-planet",
      name: "Merchant daily-planet",
      origins: ["https://daily-planet.example"],
      server: "https://daily-planet.example/",
      currency: "USD",
    });
    expect(await codeOf(client.merchant("nobody-here"))).toBe("merchant_unknown");
  });

  it("refuses a second merchant with the same id (merchant_exists)", async () => {
    expect(await codeOf(newMerchant(client, "daily-planet"))).toBe("merchant_exists");
  });

  it("opens a tab by reserving its limit and signs a certificate for the tab key", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(client, wallet, shop, USD(4));
    const claims = peekClaims(tab.certificate);
    expect(claims).toMatchObject({ sub: tab.tab, aud: shop.id, lim: "4000000", cur: "USD" });
    expect(claims?.iss).toBe(t.issuer.issuerId);
    const statement = await client.statement(wallet);
    expect(statement.balances[0]).toMatchObject({ available: USD(6), reserved: USD(4) });
    expect(statement.tabs[0]).toMatchObject({ tab: tab.tab, status: "open", limit: USD(4) });
  });

  it("refuses a tab beyond the available balance (insufficient_funds) and moves nothing", async () => {
    const wallet = await fundedWallet(3);
    expect(await codeOf(openTestTab(client, wallet, shop, USD(4)))).toBe("insufficient_funds");
    const statement = await client.statement(wallet);
    expect(statement.balances[0]).toMatchObject({ available: USD(3), reserved: 0n });
    expect(statement.tabs).toEqual([]);
  });

  it("lets exactly one of two tab opens racing for the last funds win", async () => {
    const wallet = await fundedWallet(5);
    const results = await Promise.allSettled([
      openTestTab(client, wallet, shop, USD(4)),
      openTestTab(client, wallet, shop, USD(4)),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected");
    expect(refused?.status === "rejected" && refused.reason.code).toBe("insufficient_funds");
    const statement = await client.statement(wallet);
    expect(statement.balances[0]).toMatchObject({ available: USD(1), reserved: USD(4) });
  });

  it("raises a limit by reserving only the difference, same tab id and key", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(client, wallet, shop, USD(2));
    const raised = await client.raiseLimit(wallet, tab.tab, USD(5));
    expect(raised.limit).toBe(USD(5));
    const before = peekClaims(tab.certificate);
    const after = peekClaims(raised.certificate);
    expect(after).toMatchObject({
      sub: before?.sub,
      cnf: before?.cnf,
      lim: "5000000",
      exp: before?.exp,
    });
    const statement = await client.statement(wallet);
    expect(statement.balances[0]).toMatchObject({ available: USD(5), reserved: USD(5) });
    expect(await codeOf(client.raiseLimit(wallet, tab.tab, USD(5)))).toBe("tab_limit_lower");
    expect(await codeOf(client.raiseLimit(wallet, tab.tab, USD(50)))).toBe("insufficient_funds");
  });

  it("pays a batch submitted twice once and answers the identical statement", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(client, wallet, shop, USD(5));
    const receipt = await signReceipt(tab, shop, 3, 1_234_567n);
    const batch = await signBatch(
      t.issuer,
      shop,
      [{ certificate: tab.certificate, receipt }],
      "w-twice#0",
    );

    const first = await client.settle(batch);
    const second = await client.settle(batch);
    expect(second.statement).toBe(first.statement);
    const claims = await readStatement(client, first.statement);
    expect(claims.lines).toEqual([
      { tab: tab.tab, seq: 3, cum: "1234567", paid: "1234567", status: "accepted" },
    ]);
    expect(BigInt(claims.payout) + BigInt(claims.carry_out)).toBe(
      BigInt(claims.gross) + BigInt(claims.carry_in),
    );
    expect(BigInt(claims.payout) % 10_000n).toBe(0n);

    const statement = await client.statement(wallet);
    expect(statement.tabs[0]).toMatchObject({ settled: 1_234_567n });
    expect(statement.balances[0]).toMatchObject({
      reserved: USD(5) - 1_234_567n,
      spent: 1_234_567n,
    });

    const other = await signReceipt(tab, shop, 4, 2_000_000n);
    const conflicting = await signBatch(
      t.issuer,
      shop,
      [{ certificate: tab.certificate, receipt: other }],
      "w-twice#0",
    );
    expect(await codeOf(client.settle(conflicting))).toBe("batch_conflict");
  });

  it("pays only the growth of a tab across batches: a line never pays twice", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(client, wallet, shop, USD(5));
    const line = async (seq: number, cum: bigint) => ({
      certificate: tab.certificate,
      receipt: await signReceipt(tab, shop, seq, cum),
    });
    const a = await client.settle(
      await signBatch(t.issuer, shop, [await line(1, USD(1))], "w-grow#0"),
    );
    const b = await client.settle(
      await signBatch(t.issuer, shop, [await line(1, USD(1))], "w-grow#1"),
    );
    const c = await client.settle(
      await signBatch(t.issuer, shop, [await line(2, USD(3))], "w-grow#2"),
    );
    const paid = async (s: { statement: string }) =>
      (await readStatement(client, s.statement)).lines[0]?.paid;
    expect([await paid(a), await paid(b), await paid(c)]).toEqual(["1000000", "0", "2000000"]);
  });

  it("refuses an over-limit line and a badly signed receipt line by line while good lines pay", async () => {
    const wallet = await fundedWallet(20);
    const good = await openTestTab(client, wallet, shop, USD(5));
    const greedy = await openTestTab(client, wallet, shop, USD(2));
    const forged = await openTestTab(client, wallet, shop, USD(2));
    const lines = [
      { certificate: good.certificate, receipt: await signReceipt(good, shop, 1, USD(1)) },
      { certificate: greedy.certificate, receipt: await signReceipt(greedy, shop, 1, USD(3)) },
      {
        certificate: forged.certificate,
        receipt: await signReceipt(forged, shop, 1, USD(1), {}, good.key),
      },
    ];
    const { statement } = await client.settle(await signBatch(t.issuer, shop, lines, "w-mixed#0"));
    const claims = await readStatement(client, statement);
    expect(claims.lines.map((l) => [l.status, l.code, l.paid])).toEqual([
      ["accepted", undefined, "1000000"],
      ["refused", "tab_limit_exceeded", "0"],
      ["refused", "receipt_key_mismatch", "0"],
    ]);
    expect(claims.gross).toBe("1000000");
  });

  it("refuses a batch not signed by the merchant's registered key (token_key_unknown)", async () => {
    const impostor = { ...shop, key: (await newMerchant(client, `other-${++merchantCount}`)).key };
    const batch = await signBatch(t.issuer, impostor, [], "w-impostor#0");
    expect(await codeOf(client.settle(batch))).toBe("token_key_unknown");
  });

  it("returns a closed tab's unspent rest after the merchant's next batch", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(client, wallet, shop, USD(4));
    await client.closeTab(wallet, tab.tab);
    expect((await client.statement(wallet)).tabs[0]?.status).toBe("closing");

    const receipt = await signReceipt(tab, shop, 1, USD(1));
    await client.settle(
      await signBatch(t.issuer, shop, [{ certificate: tab.certificate, receipt }], "w-close#0"),
    );
    const statement = await client.statement(wallet);
    expect(statement.tabs[0]).toMatchObject({ status: "closed", settled: USD(1) });
    expect(statement.balances[0]).toMatchObject({ available: USD(9), reserved: 0n, spent: USD(1) });
    expect(await codeOf(client.raiseLimit(wallet, tab.tab, USD(5)))).toBe("tab_closed");
  });

  it("returns an expired tab's reservation after expiry plus grace", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(client, wallet, shop, USD(4));
    await t.issuer.releaseExpired(tab.expiresAt);
    expect((await client.statement(wallet)).balances[0]).toMatchObject({ reserved: USD(4) });
    expect(await t.issuer.releaseExpired(tab.expiresAt + 8 * 86_400)).toBeGreaterThanOrEqual(1);
    expect((await client.statement(wallet)).balances[0]).toMatchObject({
      available: USD(10),
      reserved: 0n,
    });
  });

  it("moves a wallet to a new key on recovery and refuses the old key (wallet_unknown)", async () => {
    const wallet = await fundedWallet(7);
    const next = { identity: await generateSigningKey() };
    const recovered = await client.recover(next.identity, wallet.recoveryCode);
    expect(recovered.wallet).toBe(wallet.wallet);
    expect(recovered.recoveryCode).not.toBe(wallet.recoveryCode);

    const moved = { wallet: wallet.wallet, key: next.identity };
    expect((await client.statement(moved)).balances[0]).toMatchObject({ available: USD(7) });
    expect(await codeOf(client.statement(wallet))).toBe("wallet_unknown");
    expect(await codeOf(client.recover(next.identity, wallet.recoveryCode))).toBe(
      "recovery_code_invalid",
    );
  });

  it("refuses a recovery code that does not match (recovery_code_invalid)", async () => {
    const wallet = await newWallet(client);
    const other = await newWallet(client);
    const wrong = `${wallet.recoveryCode.slice(0, 22)}${other.recoveryCode.slice(22)}`;
    expect(await codeOf(client.recover(other.identity, wrong))).toBe("recovery_code_invalid");
  });

  it("refuses a tab for an unknown merchant (merchant_unknown)", async () => {
    const wallet = await fundedWallet(1);
    const ghost = { ...shop, id: "no-such-shop" };
    expect(await codeOf(openTestTab(client, wallet, ghost, USD(1)))).toBe("merchant_unknown");
  });
});
