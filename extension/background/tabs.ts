import type { MerchantRecord, WalletAuth } from "../../issuer/client";
import { OpenTabError } from "../../shared/errors";
import { generateSigningKey } from "../../shared/keys";
import { createLogger } from "../shared/logger";
import type { TabRow, WalletDb } from "./db";
import type { Clients, Clock } from "./ports";

const log = createLogger("tabs");

/** A tab this close to expiry is not used for a new receipt: the merchant might see it expired. */
const EXPIRY_MARGIN_S = 300;

export interface Capacity {
  auth: WalletAuth;
  issuer: string;
  record: MerchantRecord;
  currency: string;
  amount: bigint;
  defaultLimit: bigint;
}

/**
 * One tab per merchant and currency, each with its own fresh non-extractable key, so merchants
 * cannot link a reader. Opens the tab on the first payment and raises its limit when a payment
 * would pass it.
 */
export class TabService {
  constructor(
    private readonly db: WalletDb,
    private readonly clients: Clients,
    private readonly clock: Clock,
  ) {}

  async current(merchant: string, currency?: string): Promise<TabRow | undefined> {
    const usable = this.clock() + EXPIRY_MARGIN_S;
    const rows = await this.db.tabs.where("merchant").equals(merchant).toArray();
    return rows
      .filter((t) => t.expiresAt > usable && (currency === undefined || t.currency === currency))
      .sort((a, b) => b.openedAt - a.openedAt)[0];
  }

  /** A tab with room for `amount` more: the current one, raised if needed, or a new one. */
  async withRoomFor(c: Capacity): Promise<TabRow> {
    const tab = await this.current(c.record.id, c.currency);
    if (!tab) return this.open(c);
    if (tab.cum + c.amount <= tab.limit) return tab;
    return this.raise(tab, c);
  }

  private async open(c: Capacity): Promise<TabRow> {
    const key = await generateSigningKey(false);
    const issuer = this.clients.issuer(c.issuer);
    const opened = await withSmallerFallback(c.defaultLimit, c.amount, (limit) =>
      issuer.openTab(c.auth, {
        merchant: c.record.id,
        key: key.publicJwk,
        limit,
        currency: c.currency,
      }),
    );
    const row: TabRow = {
      tab: opened.tab,
      merchant: c.record.id,
      merchantName: c.record.name,
      origins: c.record.origins,
      server: c.record.server,
      currency: c.currency,
      key,
      certificate: opened.certificate,
      limit: opened.limit,
      seq: 0,
      cum: 0n,
      expiresAt: opened.expiresAt,
      openedAt: this.clock(),
    };
    await this.db.tabs.add(row);
    log.info("tab_opened", { tab: row.tab, merchant: row.merchant });
    return row;
  }

  /** Raises by a default tab's worth when the balance allows, else by exactly what is needed. */
  private async raise(tab: TabRow, c: Capacity): Promise<TabRow> {
    const needed = tab.cum + c.amount;
    const generous = tab.limit + c.defaultLimit;
    const issuer = this.clients.issuer(c.issuer);
    const raised = await withSmallerFallback(generous, needed, (limit) =>
      issuer.raiseLimit(c.auth, tab.tab, limit),
    );
    return this.db.transaction("rw", this.db.tabs, async () => {
      const fresh = await this.db.tabs.get(tab.tab);
      if (!fresh) return tab;
      // Merchants keep the highest-limit certificate; the wallet never steps back to a lower one.
      if (raised.limit <= fresh.limit) return fresh;
      const updated = { ...fresh, limit: raised.limit, certificate: raised.certificate };
      await this.db.tabs.put(updated);
      log.info("tab_limit_raised", { tab: tab.tab });
      return updated;
    });
  }
}

/** Asks for `wanted`; when the balance cannot cover it, asks again for the `needed` minimum. */
async function withSmallerFallback<T>(
  wanted: bigint,
  needed: bigint,
  ask: (limit: bigint) => Promise<T>,
): Promise<T> {
  const first = wanted > needed ? wanted : needed;
  try {
    return await ask(first);
  } catch (e: unknown) {
    const short = e instanceof OpenTabError && e.code === "insufficient_funds";
    if (!short || first === needed) throw e;
    return ask(needed);
  }
}
