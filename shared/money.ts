import currencyCodes from "currency-codes";
import { fail } from "./errors";

/** 1 major unit of any currency is 1,000,000 micro-units (DESIGN.md, "Money"). */
export const MICRO_PER_MAJOR = 1_000_000n;
const MICRO_DIGITS = 6;

// A wire amount is a plain non-negative integer: no sign, no exponent, no fraction, no leading
// zero, at most 18 digits so every value fits a signed 64-bit column in both stores.
const WIRE_AMOUNT = /^(0|[1-9][0-9]{0,17})$/;
const MAJOR_AMOUNT = /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,6})?$/;
// Codes ISO 4217 reserves for testing and "no currency" cannot price anything.
const NOT_MONEY = new Set(["XXX", "XTS"]);

export function parseAmount(wire: unknown): bigint {
  if (typeof wire !== "string" || !WIRE_AMOUNT.test(wire)) {
    fail("amount_invalid", 'amount must be a decimal string of micro-units, e.g. "250000"');
  }
  return BigInt(wire);
}

/** Like parseAmount, for amounts that move money and so cannot be zero. */
export function parsePositiveAmount(wire: unknown): bigint {
  const amount = parseAmount(wire);
  if (amount === 0n) fail("amount_invalid", "amount must be greater than zero");
  return amount;
}

export function formatAmount(micro: bigint): string {
  if (micro < 0n) fail("amount_invalid", "amount cannot be negative");
  const wire = micro.toString();
  if (wire.length > 18) fail("amount_invalid", "amount has more than 18 digits");
  return wire;
}

export function isWireAmount(value: string): boolean {
  return WIRE_AMOUNT.test(value);
}

/** The ISO 4217 exponent (digits of the minor unit), from the maintained currency-codes data. */
export function currencyExponent(currency: string): number {
  const entry = NOT_MONEY.has(currency) ? undefined : currencyCodes.code(currency);
  if (!entry) fail("currency_unknown", `unknown ISO 4217 currency: ${currency}`);
  return entry.digits;
}

export function isCurrency(currency: string): boolean {
  return !NOT_MONEY.has(currency) && currencyCodes.code(currency) !== undefined;
}

/** Micro-units in one minor unit: 10,000 for USD (cents), 1,000,000 for JPY. */
export function microPerMinor(currency: string): bigint {
  return 10n ** BigInt(MICRO_DIGITS - currencyExponent(currency));
}

/**
 * Formats for people: "0.25" for 250000n USD, with at least the currency's minor digits and
 * more only when the amount has sub-minor precision ("0.0025").
 */
export function formatMajor(micro: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const sign = micro < 0n ? "-" : "";
  const abs = micro < 0n ? -micro : micro;
  const whole = (abs / MICRO_PER_MAJOR).toString();
  let fraction = (abs % MICRO_PER_MAJOR).toString().padStart(MICRO_DIGITS, "0");
  while (fraction.length > exponent && fraction.endsWith("0")) fraction = fraction.slice(0, -1);
  return fraction.length > 0 ? `${sign}${whole}.${fraction}` : `${sign}${whole}`;
}

/** Parses what a person typed ("2.50") into micro-units; the same strictness as the wire form. */
export function parseMajor(text: string, currency: string): bigint {
  currencyExponent(currency);
  if (!MAJOR_AMOUNT.test(text)) {
    fail("amount_invalid", "amount must look like 2.50, with at most 6 decimals");
  }
  const [whole = "0", fraction = ""] = text.split(".");
  return BigInt(whole) * MICRO_PER_MAJOR + BigInt(fraction.padEnd(MICRO_DIGITS, "0"));
}

export interface Payout {
  /** What is paid out, a whole number of minor units expressed in micro-units. */
  payout: bigint;
  /** What is left below one minor unit; it is carried to the next batch. */
  remainder: bigint;
}

/** Rounds down to the currency's minor unit; payout + remainder always equals the total. */
export function splitPayout(total: bigint, currency: string): Payout {
  if (total < 0n) fail("amount_invalid", "a payout total cannot be negative");
  const unit = microPerMinor(currency);
  const remainder = total % unit;
  return { payout: total - remainder, remainder };
}
