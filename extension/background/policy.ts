import { fail } from "../../shared/errors";
import type { RuleRow, SettingsRow } from "./db";

export interface DecisionInput {
  price: bigint;
  currency: string;
  settings: SettingsRow;
  rule: RuleRow | undefined;
  /** Paid in the last 24 hours, all sites, in the settings' currency. */
  spentToday: bigint;
  /** Paid in the last 24 hours on this merchant, in the offer's currency. */
  siteSpentToday: bigint;
}

export type Decision = { pay: "auto" } | { pay: "ask"; reason: string };

/**
 * Whether a payment goes through on its own or needs the reader: the global daily cap is a
 * hard stop (even an approval cannot pass it); a site rule pays without asking while the item
 * and the site's day stay within it; everything else asks.
 */
export function decide(input: DecisionInput): Decision {
  const { price, currency, settings, rule } = input;

  if (currency === settings.currency && input.spentToday + price > settings.dailyCap) {
    fail("daily_cap_reached", "this payment would pass your daily cap");
  }

  if (!rule) return { pay: "ask", reason: "no rule for this site" };

  if (rule.currency !== currency) return { pay: "ask", reason: "the rule is in another currency" };

  if (price > rule.perItem) return { pay: "ask", reason: "the price is above the rule's limit" };

  if (input.siteSpentToday + price > rule.perDay) {
    return { pay: "ask", reason: "the rule's daily amount is used up" };
  }

  return { pay: "auto" };
}
