import { describe, expect, it } from "vitest";
import { OpenTabError } from "../../shared/errors";
import type { RuleRow, SettingsRow } from "./db";
import { type DecisionInput, decide } from "./policy";

const settings: SettingsRow = {
  id: "settings",
  issuer: "http://127.0.0.1:4100",
  currency: "USD",
  defaultTabLimit: 5_000_000n,
  dailyCap: 2_000_000n,
};

const rule: RuleRow = {
  merchant: "daily-planet",
  name: "The Daily Planet",
  currency: "USD",
  perItem: 300_000n,
  perDay: 1_000_000n,
  createdAt: 0,
};

const input = (overrides: Partial<DecisionInput> = {}): DecisionInput => ({
  price: 250_000n,
  currency: "USD",
  settings,
  rule,
  spentToday: 0n,
  siteSpentToday: 0n,
  ...overrides,
});

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (e: unknown) {
    if (e instanceof OpenTabError) return e.code;
    throw e;
  }
  return undefined;
}

describe("payment decisions", () => {
  it("pays without asking within the site rule", () => {
    expect(decide(input())).toEqual({ pay: "auto" });
  });

  it("asks when the site has no rule", () => {
    expect(decide(input({ rule: undefined })).pay).toBe("ask");
  });

  it("asks when the price is above the rule's per-item amount", () => {
    expect(decide(input({ price: 300_001n })).pay).toBe("ask");
  });

  it("pays an item priced exactly at the rule's per-item amount", () => {
    expect(decide(input({ price: 300_000n })).pay).toBe("auto");
  });

  it("asks once the site's daily amount would be passed", () => {
    expect(decide(input({ siteSpentToday: 800_000n })).pay).toBe("ask");
  });

  it("asks when the rule is in another currency than the offer", () => {
    expect(decide(input({ rule: { ...rule, currency: "EUR" } })).pay).toBe("ask");
  });

  it("refuses past the global daily cap even with a rule (daily_cap_reached)", () => {
    expect(codeOf(() => decide(input({ spentToday: 1_800_000n })))).toBe("daily_cap_reached");
  });

  it("refuses past the global daily cap without a rule too (daily_cap_reached)", () => {
    const run = () => decide(input({ rule: undefined, spentToday: 1_900_000n }));
    expect(codeOf(run)).toBe("daily_cap_reached");
  });

  it("leaves offers in another currency than the cap's to the reader", () => {
    expect(decide(input({ currency: "EUR", spentToday: 5_000_000n, rule: undefined })).pay).toBe(
      "ask",
    );
  });
});
