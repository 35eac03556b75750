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
    res.once("close", () => running.delete(call));
    holdUntilCommitted(res, prepared.commit);
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

type End = Response["end"];
type Write = Response["write"];

/**
 * Delays the handler's first write or end until the receipt is committed (status < 400) and
 * drops its body in favour of the refusal if the commit is refused (a concurrent request took
 * the seq, or had already stored this very receipt). Handlers that stream with write() are supported: writes queue behind the commit.
 */
function holdUntilCommitted(res: Response, commit: () => Promise<Payment>): void {
  const end: End = res.end.bind(res);
  const write: Write = res.write.bind(res);
  let gate: Promise<boolean> | undefined;

  const open = (): Promise<boolean> => {
    gate ??=
      res.statusCode >= 400
        ? Promise.resolve(true)
        : commit()
            // Stored first by another request (another server, or before this process knew the
            // tab had moved): this one bought nothing, and its answer is not given.
            .then((payment) => payment.replay && refuseReplay())
            .then(
              () => true,
              (e: unknown) => {
                refuse(res, end, e);
                return false;
              },
            );
    return gate;
  };

  res.write = ((...args: Parameters<Write>) => {
    void open().then((ok) => ok && write(...args));
    return true;
  }) as Write;
  res.end = ((...args: Parameters<End>) => {
    void open().then((ok) => ok && end(...args));
    return res;
  }) as End;
}

function refuse(res: Response, end: End, e: unknown): void {
  const error =
    e instanceof OpenTabError ? e : new OpenTabError("internal_error", "payment was not stored");
  const body = JSON.stringify(error.toJSON());
  for (const name of ["content-type", "content-length", "content-encoding", "etag"]) {
    res.removeHeader(name);
  }
  res.statusCode = error.status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(body));
  end(body);
}
