import { Router } from "express";
import { parseBody } from "../service/http";
import { fail } from "../shared/errors";
import { randomId } from "../shared/ids";
import { RecoverBody, RegisterBody, TopUpBody } from "../shared/issuer-api";
import { parsePositiveAmount } from "../shared/money";
import { authenticateNewKey, authenticateWallet } from "./auth";
import type { IssuerContext } from "./context";
import { codeMatches, newRecoveryCode, walletOfCode } from "./recovery";

/** Wallet registration, recovery, statement and (test-money) top-ups. */
export function walletRoutes(ctx: IssuerContext): Router {
  const router = Router();

  router.post("/v1/wallets", async (req, res) => {
    const body = parseBody(RegisterBody, req.body);
    const kid = await authenticateNewKey(ctx, req, body.key);
    const wallet = randomId("wal");
    const recovery = await newRecoveryCode(wallet);
    await ctx.store.createWallet(
      wallet,
      { kid, jwk: body.key, recoverySalt: recovery.salt, recoveryHash: recovery.hash },
      ctx.now(),
    );
    ctx.logger.info({ wallet }, "wallet registered");
    res.status(201).json({ wallet, recovery_code: recovery.code });
  });

  router.post("/v1/wallets/recover", async (req, res) => {
    const body = parseBody(RecoverBody, req.body);
    const kid = await authenticateNewKey(ctx, req, body.key);
    const wallet = walletOfCode(body.recovery_code);
    const secret = wallet === undefined ? undefined : await ctx.store.walletSecret(wallet);
    if (!wallet || !secret || !(await codeMatches(body.recovery_code, secret.salt, secret.hash))) {
      fail("recovery_code_invalid", "the recovery code is not valid");
    }

    const fresh = await newRecoveryCode(wallet);
    await ctx.store.replaceWalletKey(wallet, secret.hash, {
      kid,
      jwk: body.key,
      recoverySalt: fresh.salt,
      recoveryHash: fresh.hash,
    });
    ctx.logger.info({ wallet }, "wallet recovered to a new key");
    res.json({ wallet, recovery_code: fresh.code });
  });

  router.get("/v1/wallet", async (req, res) => {
    const wallet = await authenticateWallet(ctx, req);
    res.json(await ctx.store.walletStatement(wallet.id));
  });

  router.post("/v1/wallet/topups", async (req, res) => {
    const body = parseBody(TopUpBody, req.body);
    const wallet = await authenticateWallet(ctx, req);
    if (!ctx.config.testFunding) fail("topup_disabled", "this issuer takes no test top-ups");

    const amount = parsePositiveAmount(body.amount);
    const topup = randomId("top");
    const balance = await ctx.store.topUp(wallet.id, amount, body.currency, topup, ctx.now());
    ctx.logger.info({ wallet: wallet.id, topup }, "test money credited");
    res.status(201).json({
      topup,
      amount: body.amount,
      currency: body.currency,
      test_money: true,
      balance: balance.toString(),
    });
  });

  return router;
}
