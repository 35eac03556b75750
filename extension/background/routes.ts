import { fail } from "../../shared/errors";
import { formatAmount } from "../../shared/money";
import { requestSchemas as m } from "../shared/messages";
import { paidView } from "./payments";
import { type Caller, type Routes, route } from "./router";
import type { Services } from "./services";

/** The page's origin as the browser reported it; page routes only ever run for a page. */
function pageOrigin(caller: Caller): string {
  if (caller.kind !== "page") fail("origin_mismatch", "only a page may ask to pay");
  return caller.origin;
}

function pageRoutes({ payments }: Services): Routes {
  return {
    "page.hello": route(m["page.hello"], async () => ({ type: "hello", version: 1 })),
    "page.lookup": route(m["page.lookup"], async (r, caller) => {
      const grant = await payments.lookup(pageOrigin(caller), r.merchant, r.resource);
      return grant === undefined ? { type: "lookup" } : { type: "lookup", grant };
    }),
    "page.pay": route(m["page.pay"], async (r, caller) =>
      paidView(await payments.pay({ ...r, origin: pageOrigin(caller) })),
    ),
  };
}

function walletRoutes({ wallet, views }: Services): Routes {
  return {
    "wallet.status": route(m["wallet.status"], () => wallet.status()),
    "wallet.create": route(m["wallet.create"], () => wallet.create()),
    "wallet.confirmRecovery": route(m["wallet.confirmRecovery"], () => wallet.confirmRecovery()),
    "wallet.restore": route(m["wallet.restore"], (r) => wallet.restore(r.recoveryCode)),
    "wallet.topUp": route(m["wallet.topUp"], async (r) => ({
      balance: formatAmount(await wallet.topUp(BigInt(r.amount), r.currency)),
    })),
    "wallet.summary": route(m["wallet.summary"], (r) => views.summary(r.site)),
    "history.list": route(m["history.list"], () => views.history()),
  };
}

function settingsRoutes({ settings }: Services): Routes {
  return {
    "settings.get": route(m["settings.get"], () => settings.view()),
    "settings.save": route(m["settings.save"], async (r) => {
      const input = { defaultTabLimit: BigInt(r.defaultTabLimit), dailyCap: BigInt(r.dailyCap) };
      await settings.save({ ...input, issuer: r.issuer });
      return settings.view();
    }),
    "rules.save": route(m["rules.save"], async (r) => {
      await settings.saveRule(r.merchant, BigInt(r.perItem), BigInt(r.perDay));
      return settings.view();
    }),
    "rules.remove": route(m["rules.remove"], async (r) => {
      await settings.removeRule(r.merchant);
      return settings.view();
    }),
  };
}

function approvalRoutes({ approvals }: Services): Routes {
  return {
    "approval.get": route(m["approval.get"], (r) => approvals.view(r.id)),
    "approval.decide": route(m["approval.decide"], (r) =>
      approvals.decide(
        r.id,
        r.decision === "approve",
        r.allowUpTo === undefined ? undefined : BigInt(r.allowUpTo),
      ),
    ),
  };
}

export function allRoutes(services: Services): Routes {
  return {
    ...pageRoutes(services),
    ...walletRoutes(services),
    ...settingsRoutes(services),
    ...approvalRoutes(services),
  };
}
