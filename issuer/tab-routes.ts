import { Router } from "express";
import { parseBody } from "../service/http";
import { fail } from "../shared/errors";
import { randomId } from "../shared/ids";
import { CloseTabBody, OpenTabBody, RaiseLimitBody } from "../shared/issuer-api";
import { checkPublicKey, thumbprint } from "../shared/keys";
import { parsePositiveAmount } from "../shared/money";
import type { PublicJwk } from "../shared/schemas";
import { TabId } from "../shared/schemas";
import { signToken } from "../shared/tokens/sign";
import { authenticateWallet } from "./auth";
import type { IssuerContext } from "./context";

interface CertifiedTab {
  id: string;
  merchant: string;
  tabJwk: PublicJwk;
  limit: bigint;
  currency: string;
  expiresAt: number;
}

/** Signs a tab certificate (docs/protocol.md §2.1) with the issuer's current key. */
export async function signCertificate(ctx: IssuerContext, tab: CertifiedTab): Promise<string> {
  await ctx.keys.refresh();
  const { kty, crv, x, y } = tab.tabJwk;
  return signToken(
    "certificate",
    {
      iss: ctx.url,
      sub: tab.id,
      aud: tab.merchant,
      cnf: { jwk: { kty, crv, x, y } },
      lim: tab.limit.toString(),
      cur: tab.currency,
      iat: ctx.now(),
      exp: tab.expiresAt,
    },
    ctx.keys.signing(),
  );
}

function tabParam(value: unknown): string {
  const parsed = TabId.safeParse(value);
  if (!parsed.success) fail("tab_unknown", "no such tab");
  return parsed.data;
}

/** Opening, raising and closing tabs. */
export function tabRoutes(ctx: IssuerContext): Router {
  const router = Router();

  router.post("/v1/tabs", async (req, res) => {
    const body = parseBody(OpenTabBody, req.body);
    const wallet = await authenticateWallet(ctx, req);
    await checkPublicKey(body.key, "key");
    const merchant = await ctx.store.merchant(body.merchant);
    if (!merchant) fail("merchant_unknown", `no merchant ${body.merchant}`);
    if (merchant.currency !== body.currency) {
      fail("currency_mismatch", `merchant ${merchant.id} sells in ${merchant.currency}`);
    }

    const now = ctx.now();
    const tab = {
      id: randomId("tab"),
      wallet: wallet.id,
      merchant: merchant.id,
      currency: body.currency,
      tabJwk: body.key,
      tabKid: await thumbprint(body.key),
      limit: parsePositiveAmount(body.limit),
      at: now,
      expiresAt: now + ctx.config.tabTtlSeconds,
    };
    const certificate = await signCertificate(ctx, tab);
    await ctx.store.openTab(tab);
    ctx.metrics.tabsOpened.inc();
    ctx.logger.info({ wallet: wallet.id, tab: tab.id, merchant: merchant.id }, "tab opened");
    res
      .status(201)
      .json({ tab: tab.id, certificate, limit: body.limit, expires_at: tab.expiresAt });
  });

  router.post("/v1/tabs/:tab/limit", async (req, res) => {
    const body = parseBody(RaiseLimitBody, req.body);
    const wallet = await authenticateWallet(ctx, req);
    const id = tabParam(req.params.tab);
    const limit = parsePositiveAmount(body.limit);
    const certificate = await ctx.store.raiseLimit(wallet.id, id, limit, ctx.now(), (tab) =>
      signCertificate(ctx, tab),
    );
    ctx.logger.info({ wallet: wallet.id, tab: id }, "tab limit raised");
    res.json({ tab: id, certificate, limit: body.limit });
  });

  router.post("/v1/tabs/:tab/close", async (req, res) => {
    parseBody(CloseTabBody, req.body);
    const wallet = await authenticateWallet(ctx, req);
    const id = tabParam(req.params.tab);
    await ctx.store.closeTab(wallet.id, id, ctx.now());
    ctx.logger.info({ wallet: wallet.id, tab: id }, "tab closing");
    res.json({ tab: id, status: "closing" });
  });

  return router;
}
