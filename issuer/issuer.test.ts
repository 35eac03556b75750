import { importJWK } from "jose";
import { describe, expect, it } from "vitest";
import { generateSigningKey } from "../shared/keys";
import type { StatementClaims } from "../shared/schemas";
import { peekClaims, verifyToken } from "../shared/tokens/verify";
import { codeOf } from "../test/support/codes";
import type { IssuerClient } from "./client";
import {
  issuerSuite,
  newMerchant,
  newWallet,
  openTestTab,
  type StoreKind,
  signBatch,
  signReceipt,
} from "./testing";

async function readStatement(client: IssuerClient, token: string): Promise<StatementClaims> {
  const { keys } = await client.jwks();
  const { claims } = await verifyToken("statement", token, {
    key: async (kid) => {
      const jwk = keys.find((k) => k.kid === kid);
      const key = jwk ? await importJWK(jwk, "ES256") : undefined;
      return key instanceof CryptoKey ? key : undefined;
    },
  });
  return claims;
}

const USD = (major: number) => BigInt(major) * 1_000_000n;

describe.each<StoreKind>(["sqlite", "postgres"])("issuer over %s", (kind) => {
  const env = issuerSuite(kind, "daily-planet");
  let merchantCount = 0;

  async function fundedWallet(major: number) {
    const wallet = await newWallet(env.client);
    await env.client.topUp(wallet, USD(major), "USD");
    return wallet;
  }

  it("credits test money, labelled as such, and shows it in the wallet statement", async () => {
    const wallet = await newWallet(env.client);
    const topUp = await env.client.topUp(wallet, USD(5), "USD");
    expect(topUp).toMatchObject({ balance: USD(5), testMoney: true });
    const statement = await env.client.statement(wallet);
    expect(statement.balances).toEqual([
      { currency: "USD", available: USD(5), reserved: 0n, spent: 0n, testMoney: true },
    ]);
    expect(statement.movements[0]).toMatchObject({ kind: "topup", amount: USD(5) });
  });

  it("serves a merchant's public record and refuses an unknown one (merchant_unknown)", async () => {
    expect(await env.client.merchant("daily-planet")).toEqual({
      id: "daily-planet",
      name: "Merchant daily-planet",
      origins: ["https://daily-planet.example"],
      server: "https://daily-planet.example/",
      currency: "USD",
    });
    expect(await codeOf(env.client.merchant("nobody-here"))).toBe("merchant_unknown");
  });

  it("refuses a second merchant with the same id (merchant_exists)", async () => {
    expect(await codeOf(newMerchant(env.client, "daily-planet"))).toBe("merchant_exists");
  });

  it("opens a tab by reserving its limit and signs a certificate for the tab key", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(env.client, wallet, env.shop, USD(4));
    const claims = peekClaims(tab.certificate);
    expect(claims).toMatchObject({ sub: tab.tab, aud: env.shop.id, lim: "4000000", cur: "USD" });
    expect(claims?.iss).toBe(env.issuer.issuerId);
    const statement = await env.client.statement(wallet);
    expect(statement.balances[0]).toMatchObject({ available: USD(6), reserved: USD(4) });
    expect(statement.tabs[0]).toMatchObject({ tab: tab.tab, status: "open", limit: USD(4) });
  });

  it("refuses a tab beyond the available balance (insufficient_funds) and moves nothing", async () => {
    const wallet = await fundedWallet(3);
    expect(await codeOf(openTestTab(env.client, wallet, env.shop, USD(4)))).toBe(
      "insufficient_funds",
    );
    const statement = await env.client.statement(wallet);
    expect(statement.balances[0]).toMatchObject({ available: USD(3), reserved: 0n });
    expect(statement.tabs).toEqual([]);
  });

  it("refuses a tab key that is no point on P-256 (invalid_body) and moves nothing", async () => {
    const wallet = await fundedWallet(3);
    const { publicJwk } = await generateSigningKey(true);
    const offCurve = { ...publicJwk, x: publicJwk.y, y: publicJwk.x };
    const opening = env.client.openTab(wallet, {
      merchant: env.shop.id,
      key: offCurve,
      limit: USD(1),
      currency: "USD",
    });
    expect(await codeOf(opening)).toBe("invalid_body");
    const statement = await env.client.statement(wallet);
    expect(statement.balances[0]).toMatchObject({ available: USD(3), reserved: 0n });
    expect(statement.tabs).toEqual([]);
  });

  it("lets exactly one of two tab opens racing for the last funds win", async () => {
    const wallet = await fundedWallet(5);
    const results = await Promise.allSettled([
      openTestTab(env.client, wallet, env.shop, USD(4)),
      openTestTab(env.client, wallet, env.shop, USD(4)),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected");
    expect(refused?.status === "rejected" && refused.reason.code).toBe("insufficient_funds");
    const statement = await env.client.statement(wallet);
    expect(statement.balances[0]).toMatchObject({ available: USD(1), reserved: USD(4) });
  });

  it("raises a limit by reserving only the difference, same tab id and key", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(env.client, wallet, env.shop, USD(2));
    const raised = await env.client.raiseLimit(wallet, tab.tab, USD(5));
    expect(raised.limit).toBe(USD(5));
    const before = peekClaims(tab.certificate);
    const after = peekClaims(raised.certificate);
    expect(after).toMatchObject({
      sub: before?.sub,
      cnf: before?.cnf,
      lim: "5000000",
      exp: before?.exp,
    });
    const statement = await env.client.statement(wallet);
    expect(statement.balances[0]).toMatchObject({ available: USD(5), reserved: USD(5) });
    expect(await codeOf(env.client.raiseLimit(wallet, tab.tab, USD(5)))).toBe("tab_limit_lower");
    expect(await codeOf(env.client.raiseLimit(wallet, tab.tab, USD(50)))).toBe(
      "insufficient_funds",
    );
  });

  it("pays a batch submitted twice once and answers the identical statement", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(env.client, wallet, env.shop, USD(5));
    const receipt = await signReceipt(tab, env.shop, 3, 1_234_567n);
    const batch = await signBatch(
      env.issuer,
      env.shop,
      [{ certificate: tab.certificate, receipt }],
      "w-twice#0",
    );

    const first = await env.client.settle(batch);
    const second = await env.client.settle(batch);
    expect(second.statement).toBe(first.statement);
    const claims = await readStatement(env.client, first.statement);
    expect(claims.lines).toEqual([
      { tab: tab.tab, seq: 3, cum: "1234567", paid: "1234567", status: "accepted" },
    ]);
    expect(BigInt(claims.payout) + BigInt(claims.carry_out)).toBe(
      BigInt(claims.gross) + BigInt(claims.carry_in),
    );
    expect(BigInt(claims.payout) % 10_000n).toBe(0n);

    const statement = await env.client.statement(wallet);
    expect(statement.tabs[0]).toMatchObject({ settled: 1_234_567n });
    expect(statement.balances[0]).toMatchObject({
      reserved: USD(5) - 1_234_567n,
      spent: 1_234_567n,
    });

    const other = await signReceipt(tab, env.shop, 4, 2_000_000n);
    const conflicting = await signBatch(
      env.issuer,
      env.shop,
      [{ certificate: tab.certificate, receipt: other }],
      "w-twice#0",
    );
    expect(await codeOf(env.client.settle(conflicting))).toBe("batch_conflict");
  });

  it("pays only the growth of a tab across batches: a line never pays twice", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(env.client, wallet, env.shop, USD(5));
    const line = async (seq: number, cum: bigint) => ({
      certificate: tab.certificate,
      receipt: await signReceipt(tab, env.shop, seq, cum),
    });
    const a = await env.client.settle(
      await signBatch(env.issuer, env.shop, [await line(1, USD(1))], "w-grow#0"),
    );
    const b = await env.client.settle(
      await signBatch(env.issuer, env.shop, [await line(1, USD(1))], "w-grow#1"),
    );
    const c = await env.client.settle(
      await signBatch(env.issuer, env.shop, [await line(2, USD(3))], "w-grow#2"),
    );
    const paid = async (s: { statement: string }) =>
      (await readStatement(env.client, s.statement)).lines[0]?.paid;
    expect([await paid(a), await paid(b), await paid(c)]).toEqual(["1000000", "0", "2000000"]);
  });

  it("refuses an over-limit line and a badly signed receipt line by line while good lines pay", async () => {
    const wallet = await fundedWallet(20);
    const good = await openTestTab(env.client, wallet, env.shop, USD(5));
    const greedy = await openTestTab(env.client, wallet, env.shop, USD(2));
    const forged = await openTestTab(env.client, wallet, env.shop, USD(2));
    const lines = [
      { certificate: good.certificate, receipt: await signReceipt(good, env.shop, 1, USD(1)) },
      { certificate: greedy.certificate, receipt: await signReceipt(greedy, env.shop, 1, USD(3)) },
      {
        certificate: forged.certificate,
        receipt: await signReceipt(forged, env.shop, 1, USD(1), {}, good.key),
      },
    ];
    const { statement } = await env.client.settle(
      await signBatch(env.issuer, env.shop, lines, "w-mixed#0"),
    );
    const claims = await readStatement(env.client, statement);
    expect(claims.lines.map((l) => [l.status, l.code, l.paid])).toEqual([
      ["accepted", undefined, "1000000"],
      ["refused", "tab_limit_exceeded", "0"],
      ["refused", "receipt_key_mismatch", "0"],
    ]);
    expect(claims.gross).toBe("1000000");
  });

  it("refuses a batch not signed by the merchant's registered key (token_key_unknown)", async () => {
    const impostor = {
      ...env.shop,
      key: (await newMerchant(env.client, `other-${++merchantCount}`)).key,
    };
    const batch = await signBatch(env.issuer, impostor, [], "w-impostor#0");
    expect(await codeOf(env.client.settle(batch))).toBe("token_key_unknown");
  });

  it("returns a closed tab's unspent rest after the merchant's next batch", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(env.client, wallet, env.shop, USD(4));
    await env.client.closeTab(wallet, tab.tab);
    expect((await env.client.statement(wallet)).tabs[0]?.status).toBe("closing");

    const receipt = await signReceipt(tab, env.shop, 1, USD(1));
    await env.client.settle(
      await signBatch(
        env.issuer,
        env.shop,
        [{ certificate: tab.certificate, receipt }],
        "w-close#0",
      ),
    );
    const statement = await env.client.statement(wallet);
    expect(statement.tabs[0]).toMatchObject({ status: "closed", settled: USD(1) });
    expect(statement.balances[0]).toMatchObject({ available: USD(9), reserved: 0n, spent: USD(1) });
    expect(await codeOf(env.client.raiseLimit(wallet, tab.tab, USD(5)))).toBe("tab_closed");
  });

  it("returns an expired tab's reservation after expiry plus grace", async () => {
    const wallet = await fundedWallet(10);
    const tab = await openTestTab(env.client, wallet, env.shop, USD(4));
    await env.issuer.releaseExpired(tab.expiresAt);
    expect((await env.client.statement(wallet)).balances[0]).toMatchObject({ reserved: USD(4) });
    expect(await env.issuer.releaseExpired(tab.expiresAt + 8 * 86_400)).toBeGreaterThanOrEqual(1);
    expect((await env.client.statement(wallet)).balances[0]).toMatchObject({
      available: USD(10),
      reserved: 0n,
    });
  });

  it("moves a wallet to a new key on recovery and refuses the old key (wallet_unknown)", async () => {
    const wallet = await fundedWallet(7);
    const next = { identity: await generateSigningKey() };
    const recovered = await env.client.recover(next.identity, wallet.recoveryCode);
    expect(recovered.wallet).toBe(wallet.wallet);
    expect(recovered.recoveryCode).not.toBe(wallet.recoveryCode);

    const moved = { wallet: wallet.wallet, key: next.identity };
    expect((await env.client.statement(moved)).balances[0]).toMatchObject({ available: USD(7) });
    expect(await codeOf(env.client.statement(wallet))).toBe("wallet_unknown");
    expect(await codeOf(env.client.recover(next.identity, wallet.recoveryCode))).toBe(
      "recovery_code_invalid",
    );
  });

  it("refuses a recovery code that does not match (recovery_code_invalid)", async () => {
    const wallet = await newWallet(env.client);
    const other = await newWallet(env.client);
    const wrong = `${wallet.recoveryCode.slice(0, 22)}${other.recoveryCode.slice(22)}`;
    expect(await codeOf(env.client.recover(other.identity, wrong))).toBe("recovery_code_invalid");
  });

  it("refuses a tab for an unknown merchant (merchant_unknown)", async () => {
    const wallet = await fundedWallet(1);
    const ghost = { ...env.shop, id: "no-such-shop" };
    expect(await codeOf(openTestTab(env.client, wallet, ghost, USD(1)))).toBe("merchant_unknown");
  });
});
