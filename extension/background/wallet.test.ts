import { codeOf } from "../../test/support/codes";
import "fake-indexeddb/auto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Demo } from "../../demo/start";
import { IssuerClient } from "../../issuer/client";
import { buildWallet, fundedWallet, startTestDemo } from "../test/harness";

let demo: Demo;
beforeAll(async () => {
  demo = await startTestDemo();
});
afterAll(() => demo.stop());

describe("the reader's wallet", () => {
  it("creates a wallet with a non-extractable identity key and an unconfirmed recovery code", async () => {
    const w = buildWallet(demo);
    await w.services.settings.save({
      issuer: demo.issuer.url,
      defaultTabLimit: 1_000_000n,
      dailyCap: 10_000_000n,
    });
    const created = await w.services.wallet.create();

    const row = await w.db.wallet.get("self");
    expect(row?.key.privateKey.extractable).toBe(false);
    expect(await w.services.wallet.status()).toMatchObject({
      ready: true,
      recoveryConfirmed: false,
    });
    expect(created.recoveryCode.length).toBeGreaterThan(20);
    expect(await w.services.wallet.confirmRecovery()).toMatchObject({ recoveryConfirmed: true });
  });

  it("refuses a second wallet in the same browser (wallet_exists)", async () => {
    const w = await fundedWallet(demo);
    expect(await codeOf(w.services.wallet.create())).toBe("wallet_exists");
  });

  it("refuses to pay before a wallet exists (wallet_not_ready)", async () => {
    const w = buildWallet(demo);
    const pay = w.services.payments.pay({
      origin: demo.news.origin,
      merchant: demo.news.merchant,
      resource: "moon-landing",
      offer: "moon-landing",
    });
    expect(await codeOf(pay)).toBe("wallet_not_ready");
  });

  it("restores the balance in a fresh profile with the recovery code; the old key is refused", async () => {
    const old = buildWallet(demo);
    await old.services.settings.save({
      issuer: demo.issuer.url,
      defaultTabLimit: 1_000_000n,
      dailyCap: 10_000_000n,
    });
    const { wallet, recoveryCode } = await old.services.wallet.create();
    await old.services.wallet.topUp(3_000_000n, "USD");
    const oldAuth = (await old.services.wallet.auth()).auth;

    const fresh = buildWallet(demo);
    await fresh.services.settings.save({
      issuer: demo.issuer.url,
      defaultTabLimit: 1_000_000n,
      dailyCap: 10_000_000n,
    });
    const restored = await fresh.services.wallet.restore(recoveryCode);

    expect(restored.wallet).toBe(wallet);
    expect(restored.recoveryCode).not.toBe(recoveryCode);
    const statement = await fresh.services.wallet.statement();
    expect(statement.balances[0]?.available).toBe(3_000_000n);
    expect(await codeOf(new IssuerClient(demo.issuer.url).statement(oldAuth))).toBe(
      "wallet_unknown",
    );
  });

  it("refuses a wrong recovery code and keeps the profile empty", async () => {
    const w = buildWallet(demo);
    await w.services.settings.save({
      issuer: demo.issuer.url,
      defaultTabLimit: 1_000_000n,
      dailyCap: 10_000_000n,
    });
    const code = await codeOf(w.services.wallet.restore("A".repeat(32)));

    expect(code).toBe("recovery_code_invalid");
    expect(await w.db.wallet.count()).toBe(0);
  });
});

describe("the balance the popup shows", () => {
  it("moves what was paid on open tabs from reserved to spent", async () => {
    const w = await fundedWallet(demo);
    w.windows.answer = "approve";
    await w.services.payments.pay({
      origin: demo.news.origin,
      merchant: demo.news.merchant,
      resource: "moon-landing",
      offer: "moon-landing",
    });

    const { balances, sites } = await w.services.views.summary(`${demo.news.origin}/a`);
    expect(balances).toEqual([
      {
        currency: "USD",
        available: "9000000",
        reserved: "750000",
        spent: "250000",
        testMoney: true,
      },
    ]);
    expect(sites.map((s) => s.merchant)).toEqual([demo.news.merchant]);
  });
});
