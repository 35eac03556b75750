import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ErrorCode, OpenTabError } from "../../shared/errors";
import { parseAmount } from "../../shared/money";
import { verifyCertificate, verifyReceipt } from "../../shared/payment";
import { checkRequestBinding } from "../../shared/request";
import { checkReceipt } from "../../shared/rules";
import { RequestClaims } from "../../shared/schemas";
import { type KeyResolver, verifyToken } from "../../shared/tokens/verify";
import { type Vector, VectorFile } from "./format";
import { publicKeyring } from "./keys";

const FILES = ["certificate", "receipt", "grant", "batch", "statement", "request"];
const ring = await publicKeyring();

/** The verifying party trusts only the keys its vector names, though it could import them all. */
const trusting =
  (trusted: string[]): KeyResolver =>
  (kid) =>
    trusted.includes(kid) ? ring.get(kid) : undefined;

type Outcome = ErrorCode | "accept";

async function runReceipt(vector: Extract<Vector, { kind: "receipt" }>): Promise<Outcome> {
  const { context: ctx, tokens } = vector;
  const certificate = await verifyCertificate(
    tokens.certificate,
    trusting(ctx.trusted),
    ctx.merchant,
    ctx.now,
  );
  const { claims } = await verifyReceipt(tokens.receipt, certificate, { at: ctx.now });
  const verdict = checkReceipt({
    merchant: ctx.merchant,
    origins: ctx.origins,
    certificate: certificate.claims,
    receipt: claims,
    offer: {
      id: ctx.offer.id,
      target: ctx.offer.resource,
      price: parseAmount(ctx.offer.price),
      currency: ctx.offer.currency,
    },
    state: { seq: ctx.state.seq, cum: parseAmount(ctx.state.cum) },
    limit: parseAmount(ctx.limit),
    now: ctx.now,
    maxAge: ctx.max_age,
  });
  return verdict.ok ? "accept" : verdict.code;
}

async function runVector(vector: Vector): Promise<Outcome> {
  switch (vector.kind) {
    case "certificate": {
      const { trusted, merchant, now } = vector.context;
      await verifyCertificate(vector.tokens.certificate, trusting(trusted), merchant, now);
      return "accept";
    }
    case "receipt":
      return runReceipt(vector);
    case "request": {
      const { trusted, now, request } = vector.context;
      const options = { key: trusting(trusted), at: now };
      const { claims } = await verifyToken("request", vector.tokens.token, options);
      await checkRequestBinding(RequestClaims.parse(claims), request, now);
      return "accept";
    }
    default: {
      const { trusted, audience, now } = vector.context;
      const options = { key: trusting(trusted), audience, at: now };
      await verifyToken(vector.kind, vector.tokens.token, options);
      return "accept";
    }
  }
}

async function outcome(vector: Vector): Promise<Outcome> {
  try {
    return await runVector(vector);
  } catch (error: unknown) {
    if (error instanceof OpenTabError) return error.code;
    throw error;
  }
}

for (const file of FILES) {
  const path = join(import.meta.dirname, `${file}.json`);
  const { vectors } = VectorFile.parse(JSON.parse(readFileSync(path, "utf8")));

  describe(`${file}.json`, () => {
    for (const vector of vectors) {
      const verb = vector.expect === "accept" ? "accepts" : "refuses";
      const suffix = vector.expect === "accept" ? "" : ` (${vector.expect})`;
      it(`${verb} ${vector.name}${suffix}`, async () => {
        expect(await outcome(vector)).toBe(vector.expect);
      });
    }
  });
}

describe("the vector set", () => {
  it("covers every token kind and holds at least 30 refusals, each with a specific code", () => {
    const all = FILES.flatMap(
      (file) =>
        VectorFile.parse(
          JSON.parse(readFileSync(join(import.meta.dirname, `${file}.json`), "utf8")),
        ).vectors,
    );
    const refusals = all.filter((vector) => vector.expect !== "accept");
    expect(refusals.length).toBeGreaterThanOrEqual(30);
    expect(refusals.map((vector) => vector.expect)).not.toContain("internal_error");
    expect(new Set(all.filter((v) => v.expect === "accept").map((v) => v.kind)).size).toBe(6);
  });
});
