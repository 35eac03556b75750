import { fail } from "../../shared/errors";
import { formatAmount } from "../../shared/money";
import type { RuleView, SettingsView } from "../shared/messages";
import type { RuleRow, SettingsRow, WalletDb } from "./db";
import type { Clients, Clock } from "./ports";

export const DEFAULT_ISSUER = "http://127.0.0.1:4100";

const DEFAULTS: SettingsRow = {
  id: "settings",
  issuer: DEFAULT_ISSUER,
  currency: "USD",
  defaultTabLimit: 5_000_000n,
  dailyCap: 20_000_000n,
};

export interface SettingsInput {
  issuer: string;
  defaultTabLimit: bigint;
  dailyCap: bigint;
}

/** The reader's choices: issuer, default tab limit, global daily cap, and per-site rules. */
export class SettingsService {
  constructor(
    private readonly db: WalletDb,
    private readonly clients: Clients,
    private readonly clock: Clock,
  ) {}

  async get(): Promise<SettingsRow> {
    return (await this.db.settings.get("settings")) ?? DEFAULTS;
  }

  async save(input: SettingsInput): Promise<SettingsRow> {
    const row: SettingsRow = { ...(await this.get()), ...input, issuer: trimSlash(input.issuer) };
    await this.db.settings.put(row);
    return row;
  }

  rule(merchant: string): Promise<RuleRow | undefined> {
    return this.db.rules.get(merchant);
  }

  rules(): Promise<RuleRow[]> {
    return this.db.rules.toArray();
  }

  /** Saves "auto-pay up to perItem, at most perDay a day" for a merchant the issuer knows. */
  async saveRule(merchant: string, perItem: bigint, perDay: bigint): Promise<RuleRow> {
    if (perDay < perItem)
      fail("amount_invalid", "the daily amount cannot be below the per-item one");

    const record = await this.clients.issuer((await this.get()).issuer).merchant(merchant);
    const row: RuleRow = {
      merchant,
      name: record.name,
      currency: record.currency,
      perItem,
      perDay,
      createdAt: this.clock(),
    };
    await this.db.rules.put(row);
    return row;
  }

  async removeRule(merchant: string): Promise<void> {
    await this.db.rules.delete(merchant);
  }

  async view(): Promise<{ settings: SettingsView; rules: RuleView[] }> {
    const settings = await this.get();
    return {
      settings: {
        issuer: settings.issuer,
        currency: settings.currency,
        defaultTabLimit: formatAmount(settings.defaultTabLimit),
        dailyCap: formatAmount(settings.dailyCap),
      },
      rules: (await this.rules()).map(ruleView),
    };
  }
}

export function ruleView(rule: RuleRow): RuleView {
  return {
    merchant: rule.merchant,
    name: rule.name,
    perItem: formatAmount(rule.perItem),
    perDay: formatAmount(rule.perDay),
    currency: rule.currency,
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
