import { Router } from "express";
import { adminOnly, parseBody } from "../service/http";
import { fail } from "../shared/errors";
import { MerchantRegistration } from "../shared/issuer-api";
import { checkPublicKey, thumbprint } from "../shared/keys";
import { MerchantId } from "../shared/schemas";
import type { IssuerContext } from "./context";

/** Public keys, health, metrics, and the merchant directory with its admin entrance. */
export function directoryRoutes(ctx: IssuerContext): Router {
  const router = Router();

  router.get("/.well-known/jwks.json", async (_req, res) => {
    await ctx.keys.refresh();
    res.set("cache-control", "public, max-age=300");
    res.json({ keys: ctx.keys.published(ctx.now()) });
  });

  // What a person who opens the issuer's URL in a browser sees: what this is and where to look.
  router.get("/", (_req, res) => {
    res.json({ service: "opentab-issuer", issuer: ctx.url, jwks: "/.well-known/jwks.json" });
  });

  router.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });

  // Wallet and payment counts are the issuer's business: Prometheus scrapes with the token.
  router.get("/metrics", adminOnly(ctx.config.adminToken), async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  router.get("/v1/merchants/:id", async (req, res) => {
    const id = MerchantId.safeParse(req.params.id);
    const merchant = id.success ? await ctx.store.merchant(id.data) : undefined;
    if (!merchant) fail("merchant_unknown", "no such merchant");
    const { name, origins, server, currency } = merchant;
    res.json({ id: merchant.id, name, origins, server, currency });
  });

  router.post("/v1/admin/merchants", adminOnly(ctx.config.adminToken), async (req, res) => {
    const body = parseBody(MerchantRegistration, req.body);
    const keys = await Promise.all(
      body.keys.map(async ({ kty, crv, x, y }) => {
        const jwk = { kty, crv, x, y };
        await checkPublicKey(jwk, "keys");
        return { kid: await thumbprint(jwk), jwk };
      }),
    );
    const { payout_account: payoutAccount, keys: _keys, ...record } = body;
    await ctx.store.addMerchant({ ...record, payoutAccount }, keys, ctx.now());
    ctx.logger.info({ merchant: body.id }, "merchant registered");
    res.status(201).json({ id: body.id });
  });

  return router;
}
