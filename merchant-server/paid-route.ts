import { OutgoingMessage } from "node:http";
import type { RequestHandler, Response } from "express";
import { fail, OpenTabError } from "../shared/errors";
import { PAYMENT_HEADER } from "../shared/merchant-api";
import type { Catalogue } from "./catalogue";
import type { Payment, Payments } from "./payments";

export interface PaidRouteContext {
  merchant: string;
  issuer: string;
  /** The public base URL of this server, for the offers link in the 402 challenge. */
  publicUrl: string;
  catalogue: Catalogue;
  payments: Payments;
}

/**
 * Guards a paid API route (protocol §5). Without `OpenTab-Payment` it answers 402 with the
 * route's offers. With one, it verifies the receipt as an unlock would, runs the handler, and
 * stores the receipt only when the handler answers below 400: the response is held back until
 * the receipt is committed, so a client never gets a paid answer that was not charged, and a
 * failed handler keeps no charge (the wallet may reuse the same seq).
 */
export function requirePayment(ctx: PaidRouteContext, apiId: string): RequestHandler {
  // Receipts whose call is running in this process: the same receipt sent again meanwhile would
  // pass every check too (nothing is stored until the handler answers), and run the handler twice.
  const running = new Set<string>();
  return async (req, res, next) => {
    const header = req.get(PAYMENT_HEADER);
    if (header === undefined) return challenge(ctx, apiId, res);

    const [certificate, receipt, ...rest] = header.split(" ");
    if (!certificate || !receipt || rest.length > 0) {
      fail("token_malformed", `${PAYMENT_HEADER} must be "<certificate> <receipt>"`);
    }
    const prepared = await ctx.payments.prepare({ certificate, receipt }, ["api"], {
      cachedTab: false,
    });
    if (prepared.payment.receipt.res !== apiId) {
      fail("offer_unknown", "receipt pays for another route");
    }

    // Unlike an unlock, whose replay only returns the grant it already bought, a paid call is
    // the handler running: one receipt buys exactly one run, so a replay is refused.
    if (prepared.payment.replay) refuseReplay();
    const call = `${prepared.payment.receipt.tab} ${prepared.payment.receipt.seq}`;
    if (running.has(call)) {
      fail("seq_reused", "this receipt is already paying for a call in progress");
    }
    running.add(call);
    // Running until the charge is decided. A handler that has begun no answer when its client
    // goes away may never begin one, so the receipt is freed then, and a resend may run again.
    let settled = false;
    holdUntilCommitted(res, prepared.commit, () => {
      settled = true;
      running.delete(call);
    });
    res.once("close", () => {
      if (!settled) running.delete(call);
    });
    next();
  };
}

function refuseReplay(): never {
  return fail("seq_reused", "this receipt has already paid for one call; sign the next seq");
}

function challenge(ctx: PaidRouteContext, apiId: string, res: Response): void {
  const offers = `${ctx.publicUrl}/v1/offers?resource=${encodeURIComponent(apiId)}`;
  const error = new OpenTabError("payment_required", "this route is paid: send OpenTab-Payment");
  res
    .status(402)
    .set("WWW-Authenticate", `OpenTab merchant="${ctx.merchant}", offers="${offers}"`)
    .json({
      ...error.toJSON(),
      merchant: ctx.merchant,
      resource: apiId,
      issuer: ctx.issuer,
      offers: ctx.catalogue.offersFor(apiId) ?? [],
    });
}

type Held = "held" | "open" | "refused";

/**
 * Delays the handler's answer (writeHead, flushHeaders, write, end) until the receipt is
 * committed, and drops it in favour of the refusal if the commit is refused (a concurrent request
 * took the seq, or had already stored this very receipt). The charge is decided at the handler's
 * first such call: a status of 400 or more then keeps no charge; a handler that fails after it has
 * begun a paid answer keeps the charge, and its client sees the answer cut off.
 *
 * The calls held meanwhile are replayed in order, all in one go, before any later call of the
 * handler; from then on the same methods pass straight through, so wrappers installed after this
 * one keep working.
 */
function holdUntilCommitted(
  res: Response,
  commit: () => Promise<Payment>,
  onSettled: () => void,
): void {
  const original = {
    writeHead: res.writeHead,
    flushHeaders: res.flushHeaders,
    write: res.write,
    end: res.end,
  };
  let state: Held = "held";
  // While the refusal is written, Node's end() calls writeHead() itself: that call goes through.
  let refusing = false;
  const held: (() => void)[] = [];
  let charging = false;
  const passes = () => state === "open" || refusing;

  // To the handler and the error handler, an answer it has begun is sent, even while it waits
  // here: an error after that cuts the connection instead of appending an error body to it.
  const sent = Object.getOwnPropertyDescriptor(OutgoingMessage.prototype, "headersSent")?.get;
  Object.defineProperty(res, "headersSent", {
    configurable: true,
    get: () => (state === "held" ? held.length > 0 : Boolean(sent?.call(res))),
  });

  const settle = (outcome: Exclude<Held, "held">, error?: unknown) => {
    state = outcome;
    if (outcome === "refused") {
      held.length = 0;
      refusing = true;
      refuse(res, error);
      refusing = false;
      return;
    }
    for (const call of held.splice(0)) {
      try {
        call();
      } catch {
        // The handler gave Node an answer it refuses (a bad header, a chunk of the wrong type):
        // the receipt is stored, so the client is told nothing whole.
        res.destroy();
        return;
      }
    }
  };
  const charge = (): Promise<unknown> =>
    res.statusCode >= 400
      ? Promise.resolve()
      : // Stored first by another request (another server, or one this process had not seen
        // finish): this one bought nothing, and its answer is not given.
        commit().then((payment) => payment.replay && refuseReplay());
  const hold = (call: () => void) => {
    held.push(call);
    if (charging) return;
    charging = true;
    void charge()
      .then(
        () => settle("open"),
        (e: unknown) => settle("refused", e),
      )
      .finally(onSettled);
  };

  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const writeHead = original.writeHead as (...args: unknown[]) => Response;
    if (passes()) return writeHead.call(res, status, ...rest);
    if (state === "held") {
      // The status decides the charge, so it is known before the head itself goes out.
      res.statusCode = status;
      hold(() => writeHead.call(res, status, ...rest));
    }
    return res;
  }) as Response["writeHead"];
  res.flushHeaders = () => {
    if (passes()) original.flushHeaders.call(res);
    else if (state === "held") hold(() => original.flushHeaders.call(res));
  };
  res.write = ((...args: Parameters<Response["write"]>) => {
    const write = original.write as (...args: unknown[]) => boolean;
    if (passes()) return write.apply(res, args);
    if (state === "held") hold(() => write.apply(res, args));
    return true;
  }) as Response["write"];
  res.end = ((...args: Parameters<Response["end"]>) => {
    const end = original.end as (...args: unknown[]) => Response;
    if (passes()) return end.apply(res, args);
    if (state === "held") hold(() => end.apply(res, args));
    return res;
  }) as Response["end"];
}

function refuse(res: Response, e: unknown): void {
  const error =
    e instanceof OpenTabError ? e : new OpenTabError("internal_error", "payment was not stored");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(error.toJSON());
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = error.status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}
