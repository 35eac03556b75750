import { describe, expect, it } from "vitest";
import { checkReceipt, checkSettlementLine, type LineCheck, type ReceiptCheck } from "./rules";
import type { CertificateClaims, ReceiptClaims } from "./schemas";

const NOW = 1_796_320_000;
const TAB = "tab_RulesTab00000000000000";

const certificate: CertificateClaims = {
  iss: "https://issuer.opentab.example",
  sub: TAB,
  aud: "daily-planet",
  cnf: { jwk: { kty: "EC", crv: "P-256", x: "x".repeat(43), y: "y".repeat(43) } },
  lim: "1000000",
  cur: "USD",
  iat: NOW - 3600,
  exp: NOW + 86400,
};

const receipt: ReceiptClaims = {
  aud: "daily-planet",
  tab: TAB,
  seq: 3,
  amt: "250000",
  cum: "750000",
  org: "https://dailyplanet.example",
  res: "moon-landing",
  off: "moon-landing",
  iat: NOW - 10,
  exp: NOW + 86400,
};

function check(
  overrides: Partial<ReceiptCheck> = {},
  receiptOverrides: Partial<ReceiptClaims> = {},
): ReceiptCheck {
  return {
    merchant: "daily-planet",
    origins: ["https://dailyplanet.example", "https://www.dailyplanet.example"],
    certificate,
    receipt: { ...receipt, ...receiptOverrides },
    offer: { id: "moon-landing", target: "moon-landing", price: 250_000n, currency: "USD" },
    state: { seq: 2, cum: 500_000n },
    limit: 1_000_000n,
    now: NOW,
    maxAge: 300,
    ...overrides,
  };
}

const codeOf = (verdict: { ok: true } | { ok: false; code: string }) =>
  verdict.ok ? "accept" : verdict.code;

describe("checkReceipt", () => {
  it("accepts the next receipt: seq = last + 1, cum = last cum + amt, within the limit", () => {
    expect(checkReceipt(check())).toEqual({ ok: true });
  });

  it("accepts a receipt from any of the merchant's origins", () => {
    expect(codeOf(checkReceipt(check({}, { org: "https://www.dailyplanet.example" })))).toBe(
      "accept",
    );
  });

  it("accepts a receipt that lands exactly on the limit", () => {
    const last = { state: { seq: 3, cum: 750_000n } };
    expect(codeOf(checkReceipt(check(last, { seq: 4, cum: "1000000" })))).toBe("accept");
  });

  it("refuses a receipt for another merchant (merchant_mismatch)", () => {
    expect(codeOf(checkReceipt(check({}, { aud: "gotham-gazette" })))).toBe("merchant_mismatch");
  });

  it("refuses a certificate for another merchant (merchant_mismatch)", () => {
    const other = { ...certificate, aud: "gotham-gazette" };
    expect(codeOf(checkReceipt(check({ certificate: other })))).toBe("merchant_mismatch");
  });

  it("refuses a receipt whose tab is not its certificate's (receipt_key_mismatch)", () => {
    const tab = "tab_OtherTab00000000000000";
    expect(codeOf(checkReceipt(check({}, { tab })))).toBe("receipt_key_mismatch");
  });

  it("refuses a receipt once its certificate expired beyond the tolerance (certificate_expired)", () => {
    const expired = { ...certificate, exp: NOW - 30 };
    expect(codeOf(checkReceipt(check({ certificate: expired })))).toBe("certificate_expired");
  });

  it("still accepts within the 30 s clock tolerance of the certificate's expiry", () => {
    const justExpired = { ...certificate, exp: NOW - 29 };
    expect(codeOf(checkReceipt(check({ certificate: justExpired })))).toBe("accept");
  });

  it("refuses a receipt whose origin is not the merchant's (origin_mismatch)", () => {
    const org = "https://dailyplanet.example.evil.test";
    expect(codeOf(checkReceipt(check({}, { org })))).toBe("origin_mismatch");
  });

  it("refuses a tab in another currency than the offer (currency_mismatch)", () => {
    const euro = { ...certificate, cur: "EUR" };
    expect(codeOf(checkReceipt(check({ certificate: euro })))).toBe("currency_mismatch");
  });

  it("refuses a receipt naming another offer (offer_unknown)", () => {
    expect(codeOf(checkReceipt(check({}, { off: "free-sample" })))).toBe("offer_unknown");
  });

  it("refuses a receipt naming another resource than the offer's (offer_unknown)", () => {
    expect(codeOf(checkReceipt(check({}, { res: "crossword" })))).toBe("offer_unknown");
  });

  it("refuses an amount other than the offer's current price (price_mismatch)", () => {
    const cheaper = { amt: "200000", cum: "700000" };
    expect(codeOf(checkReceipt(check({}, cheaper)))).toBe("price_mismatch");
  });

  it("refuses a receipt older than maxAge (receipt_stale)", () => {
    expect(codeOf(checkReceipt(check({}, { iat: NOW - 301 })))).toBe("receipt_stale");
  });

  it("refuses a used seq, even with the same payload; replays are the caller's (seq_reused)", () => {
    const used = { state: { seq: 3, cum: 750_000n } };
    expect(codeOf(checkReceipt(check(used)))).toBe("seq_reused");
  });

  it("refuses a seq below the last one (seq_reused)", () => {
    expect(codeOf(checkReceipt(check({}, { seq: 1, cum: "250000" })))).toBe("seq_reused");
  });

  it("refuses a seq past last + 1 (seq_out_of_order)", () => {
    expect(codeOf(checkReceipt(check({}, { seq: 4, cum: "750000" })))).toBe("seq_out_of_order");
  });

  it("refuses cum other than last cum + amt (cum_mismatch)", () => {
    expect(codeOf(checkReceipt(check({}, { cum: "700000" })))).toBe("cum_mismatch");
  });

  it("refuses cum beyond the limit (tab_limit_exceeded)", () => {
    const last = { state: { seq: 4, cum: 1_000_000n } };
    const next = { seq: 5, cum: "1250000" };
    expect(codeOf(checkReceipt(check(last, next)))).toBe("tab_limit_exceeded");
  });

  it("measures the limit against the highest certificate seen, not this one", () => {
    const last = { state: { seq: 4, cum: 1_000_000n }, limit: 2_000_000n };
    expect(codeOf(checkReceipt(check(last, { seq: 5, cum: "1250000" })))).toBe("accept");
  });
});

function line(overrides: Partial<LineCheck> = {}): LineCheck {
  return {
    merchant: "daily-planet",
    currency: "USD",
    tab: {
      merchant: "daily-planet",
      currency: "USD",
      limit: 1_000_000n,
      settled: 500_000n,
      expiresAt: NOW + 86400,
    },
    receipt,
    now: NOW,
    grace: 7 * 86400,
    ...overrides,
  };
}

describe("checkSettlementLine", () => {
  it("pays cum minus what was already settled", () => {
    expect(checkSettlementLine(line())).toEqual({ ok: true, pay: 250_000n });
  });

  it("pays nothing for a receipt already covered by an earlier batch", () => {
    const settled = { ...line().tab, settled: 750_000n };
    expect(checkSettlementLine(line({ tab: settled }))).toEqual({ ok: true, pay: 0n });
  });

  it("settles within the grace period after the tab's expiry", () => {
    const expired = { ...line().tab, expiresAt: receipt.iat };
    const later = line({ tab: expired, now: receipt.iat + 86400 });
    expect(checkSettlementLine(later)).toEqual({ ok: true, pay: 250_000n });
  });

  it("refuses a line for a tab of another merchant (merchant_mismatch)", () => {
    const other = { ...line().tab, merchant: "gotham-gazette" };
    expect(codeOf(checkSettlementLine(line({ tab: other })))).toBe("merchant_mismatch");
  });

  it("refuses a receipt addressed to another merchant (merchant_mismatch)", () => {
    const other = { ...receipt, aud: "gotham-gazette" };
    expect(codeOf(checkSettlementLine(line({ receipt: other })))).toBe("merchant_mismatch");
  });

  it("refuses a tab in another currency than the batch (currency_mismatch)", () => {
    expect(codeOf(checkSettlementLine(line({ currency: "EUR" })))).toBe("currency_mismatch");
  });

  it("refuses a receipt signed after the tab expired (certificate_expired)", () => {
    const expired = { ...line().tab, expiresAt: receipt.iat - 30 };
    expect(codeOf(checkSettlementLine(line({ tab: expired })))).toBe("certificate_expired");
  });

  it("still pays a receipt signed within the 30 s tolerance after expiry", () => {
    const expired = { ...line().tab, expiresAt: receipt.iat - 29 };
    expect(checkSettlementLine(line({ tab: expired })).ok).toBe(true);
  });

  it("refuses a line past expiry plus grace (settlement_too_late)", () => {
    const expired = { ...line().tab, expiresAt: receipt.iat };
    const late = line({ tab: expired, now: receipt.iat + 7 * 86400 + 1 });
    expect(codeOf(checkSettlementLine(late))).toBe("settlement_too_late");
  });

  it("refuses cum beyond the tab's limit (tab_limit_exceeded)", () => {
    const small = { ...line().tab, limit: 500_000n };
    expect(codeOf(checkSettlementLine(line({ tab: small })))).toBe("tab_limit_exceeded");
  });
});
