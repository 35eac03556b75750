import type { OpenTabError } from "../../shared/errors";
import { createLogger } from "../shared/logger";
import type { GrantRow, ReceiptRow, TabRow, WalletDb } from "./db";
import type { Clients } from "./ports";
import { asOpenTabError, type ReceiptService } from "./receipts";

const log = createLogger("pending");

export type Settled = { ok: true; grant?: GrantRow } | { ok: false; error: OpenTabError };

/**
 * Brings a receipt whose answer is unknown to a final state. Used right after a first send and
 * again whenever the worker wakes: the same signed receipt is re-presented, and a merchant
 * returns the original grant for an identical receipt, so a retry never charges twice.
 */
export class PendingResolver {
  constructor(
    private readonly db: WalletDb,
    private readonly receipts: ReceiptService,
    private readonly clients: Clients,
  ) {}

  /** Settles a receipt sent for the first time: a definite refusal rolls it back. */
  async first(row: ReceiptRow, tab: TabRow): Promise<Settled> {
    const outcome = await this.receipts.present(row, tab.server);
    if (outcome.kind === "accepted") return withGrant(outcome.grant);
    if (outcome.kind === "unknown") return { ok: false, error: outcome.error };

    await this.receipts.rollback(row);
    const code = outcome.error.code;
    if (code === "seq_reused" || code === "seq_out_of_order") await this.resync(tab);
    return { ok: false, error: outcome.error };
  }

  /**
   * Settles a re-presented receipt. A refusal now may only mean the receipt grew stale after the
   * merchant accepted it, so the merchant's tab state decides between accepted and rolled back.
   */
  async again(row: ReceiptRow, tab: TabRow): Promise<Settled> {
    const outcome = await this.receipts.present(row, tab.server);
    if (outcome.kind === "accepted") return withGrant(outcome.grant);
    if (outcome.kind === "unknown") return { ok: false, error: outcome.error };

    try {
      const state = await this.clients.merchant(tab.server).tabState(tab.tab);
      if (state.seq >= row.seq && state.cum >= row.cum) {
        await this.receipts.accept(row);
        log.warn("receipt_accepted_without_grant", { tab: row.tab, seq: row.seq });
        return { ok: true };
      }
    } catch (e: unknown) {
      return { ok: false, error: asOpenTabError(e) };
    }
    await this.receipts.rollback(row);
    return { ok: false, error: outcome.error };
  }

  /** Resolves every pending receipt of a tab, oldest first; stops at the first unknown answer. */
  async tab(tab: TabRow): Promise<Settled> {
    for (const row of await this.receipts.pending(tab.tab)) {
      const settled = await this.again(row, tab);
      if (!settled.ok && settled.error.code === "merchant_unavailable") return settled;
    }
    return { ok: true };
  }

  /** Run on wake-up (startup, first message, alarm): every tab with a pending receipt. */
  async all(): Promise<number> {
    const rows = await this.receipts.pending();
    const tabIds = [...new Set(rows.map((r) => r.tab))];
    let unresolved = 0;
    for (const id of tabIds) {
      const tab = await this.db.tabs.get(id);
      if (!tab) continue;
      const settled = await this.tab(tab);
      if (!settled.ok) unresolved += 1;
    }
    return unresolved;
  }

  /** After a seq refusal the merchant's record is the truth: start the next receipt from it. */
  private async resync(tab: TabRow): Promise<void> {
    try {
      const state = await this.clients.merchant(tab.server).tabState(tab.tab);
      await this.db.transaction("rw", this.db.tabs, async () => {
        const fresh = await this.db.tabs.get(tab.tab);
        if (fresh && state.seq > fresh.seq) {
          await this.db.tabs.update(tab.tab, { seq: state.seq, cum: state.cum });
        }
      });
    } catch (e: unknown) {
      log.warn("resync_failed", { tab: tab.tab, code: asOpenTabError(e).code });
    }
  }
}

function withGrant(grant: GrantRow | undefined): Settled {
  return grant ? { ok: true, grant } : { ok: true };
}
