import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { Currency, PositiveAmount, ReceiptClaims, schemaErrorCode, WireAmount } from "./schemas";

function codeOf(schema: z.ZodType, value: unknown): string {
  const parsed = schema.safeParse(value);
  return parsed.success ? "accept" : schemaErrorCode(parsed.error, "invalid_body");
}

describe("schema refusals carry their own code", () => {
  it.each(["0.1", "1e3", "-5", "007", 250000, "1000000000000000000", undefined])(
    "answers amount_invalid for the amount %j",
    (amount) => expect(codeOf(WireAmount, amount)).toBe("amount_invalid"),
  );

  it("answers amount_invalid for a zero where money must move", () => {
    expect(codeOf(PositiveAmount, "0")).toBe("amount_invalid");
    expect(codeOf(WireAmount, "0")).toBe("accept");
  });

  it.each(["XXX", "XTS", "ABC", "usd", 840])("answers currency_unknown for %j", (currency) => {
    expect(codeOf(Currency, currency)).toBe("currency_unknown");
  });

  it("finds the amount at fault inside a token payload", () => {
    const receipt = {
      aud: "daily-planet",
      tab: "tab_SchemaTab0000000000000",
      seq: 1,
      amt: "1e3",
      cum: "1000",
      org: "https://dailyplanet.example",
      res: "moon-landing",
      off: "moon-landing",
      iat: 1,
      exp: 2,
    };
    expect(codeOf(ReceiptClaims, receipt)).toBe("amount_invalid");
    expect(codeOf(ReceiptClaims, { ...receipt, amt: "1000" })).toBe("accept");
  });

  it("falls back to the caller's code for any other fault", () => {
    expect(codeOf(ReceiptClaims, { aud: "daily-planet" })).not.toBe("accept");
    const noAmounts = { seq: "one" };
    expect(codeOf(ReceiptClaims.pick({ seq: true }), noAmounts)).toBe("invalid_body");
  });
});
