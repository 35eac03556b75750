import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OpenTabError } from "./errors";
import { formatAmount, formatMajor, parseAmount, parseMajor, splitPayout } from "./money";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error: unknown) {
    if (error instanceof OpenTabError) return error.code;
    throw error;
  }
  return undefined;
}

const micro = fc.bigInt({ min: 0n, max: 10n ** 18n - 1n });

describe("wire amounts", () => {
  it.each(["0.1", "1e3", "-5", "007", "+5", " 5", "5 ", "", "1000000000000000000", "0x10", "٣"])(
    "refuses the non-canonical amount %j (amount_invalid)",
    (wire) => expect(codeOf(() => parseAmount(wire))).toBe("amount_invalid"),
  );

  it("refuses a JSON number where a decimal string belongs (amount_invalid)", () => {
    expect(codeOf(() => parseAmount(1000))).toBe("amount_invalid");
  });

  it("reads back every amount it writes: parse(format(x)) == x", () => {
    fc.assert(fc.property(micro, (x) => parseAmount(formatAmount(x)) === x));
  });
});

describe("amounts for people", () => {
  it("shows minor digits and sub-minor precision only when present", () => {
    expect(formatMajor(250_000n, "USD")).toBe("0.25");
    expect(formatMajor(2_500n, "USD")).toBe("0.0025");
    expect(formatMajor(3_000_000n, "JPY")).toBe("3");
    expect(formatMajor(1_234_000n, "BHD")).toBe("1.234");
  });

  it("parses what it shows", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 17n }), (x) => {
        return parseMajor(formatMajor(x, "USD"), "USD") === x;
      }),
    );
  });

  it("refuses an unknown currency (currency_unknown)", () => {
    expect(codeOf(() => formatMajor(1n, "ABC"))).toBe("currency_unknown");
    expect(codeOf(() => formatMajor(1n, "XXX"))).toBe("currency_unknown");
  });
});

describe("payout rounding", () => {
  it("sums random sub-cent amounts exactly and pays out plus carry equals the total", () => {
    const subCent = fc.bigInt({ min: 1n, max: 9_999n });
    fc.assert(
      fc.property(
        fc.array(subCent, { maxLength: 500 }),
        fc.constantFrom("USD", "JPY", "BHD"),
        (amounts, cur) => {
          const total = amounts.reduce((sum, a) => sum + a, 0n);
          const { payout, remainder } = splitPayout(total, cur);
          return (
            payout + remainder === total &&
            remainder >= 0n &&
            payout % 10n ** BigInt(6 - (cur === "USD" ? 2 : cur === "JPY" ? 0 : 3)) === 0n
          );
        },
      ),
    );
  });

  it("carries remainders across batches so nothing drifts", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.bigInt({ min: 1n, max: 99_999n }), { maxLength: 20 }), {
          maxLength: 30,
        }),
        (batches) => {
          let carry = 0n;
          let paid = 0n;
          let accepted = 0n;
          for (const batch of batches) {
            const gross = batch.reduce((sum, a) => sum + a, 0n);
            accepted += gross;
            const { payout, remainder } = splitPayout(gross + carry, "USD");
            paid += payout;
            carry = remainder;
            if (carry >= 10_000n) return false;
          }
          return paid + carry === accepted;
        },
      ),
    );
  });
});
