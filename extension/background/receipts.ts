import { fail, OpenTabError } from "../../shared/errors";
import { formatAmount } from "../../shared/money";
import { signToken } from "../../shared/tokens/sign";
import { createLogger } from "../shared/logger";
import type { GrantRow, ReceiptRow, TabRow, WalletDb } from "./db";
import type { Clients, Clock, UnlockReply } from "./ports";

const log = createLogger("receipts");

const DAY_S = 86_400;

export interface Purchase {
  origin: string;
  resource: string;
  /** The receipt's `res`: the resource an unlock opens or the scope a pass opens. */
  target: string;
  offer: string;
  title: string;
  amount: bigint;
}

export interface DailyCap {
  currency: string;
  cap: bigint;
}

export type Outcome =
  | { kind: "accepted"; grant?: GrantRow }
  | { kind: "refused"; error: OpenTabError }
  | { kind: "unknown"; error: OpenTabError };

/**
 * Receipts from reservation to acceptance. A receipt is written `pending` before it is signed
 * and sent, so a worker stopped at any point wakes to find it and either completes it (the same
 * receipt re-presented) or rolls it back; nothing new is signed on a tab while one is pending.
 */
export class ReceiptService {
  constructor(
    private readonly db: WalletDb,
    private readonly clients: Clients,
    private readonly clock: Clock,
  ) {}

  /**
   * Assigns the next seq and cum in one transaction with the cap check and the pending write,
   * so two payments at once can never share a seq or pass the tab's limit or the daily cap.
   */
  reserve(tabId: string, purchase: Purchase, cap: DailyCap): Promise<ReceiptRow> {
    const { db } = this;
    return db.transaction("rw", db.tabs, db.receipts, async () => {
      const tab = await db.tabs.get(tabId);
      if (!tab) fail("tab_unknown", "the tab is gone");

      const pending = await db.receipts.where({ tab: tabId, status: "pending" }).count();
      if (pending > 0) fail("merchant_unavailable", "an earlier payment on this tab is unresolved");

      const cum = tab.cum + purchase.amount;
      if (cum > tab.limit) fail("tab_limit_exceeded", "the payment would pass the tab's limit");

      if (tab.currency === cap.currency) {
        const spent = await this.spentSince(this.clock() - DAY_S, cap.currency);
        if (spent + purchase.amount > cap.cap) fail("daily_cap_reached", "today's cap is reached");
      }

      const seq = tab.seq + 1;
      const row: ReceiptRow = {
        id: `${tabId}:${seq}`,
        tab: tabId,
        seq,
        merchant: tab.merchant,
        merchantName: tab.merchantName,
        origin: purchase.origin,
        resource: purchase.resource,
        target: purchase.target,
        offer: purchase.offer,
        title: purchase.title,
        amount: purchase.amount,
        cum,
        currency: tab.currency,
        status: "pending",
        at: this.clock(),
      };
      await db.receipts.add(row);
      await db.tabs.update(tabId, { seq, cum });
      return row;
    });
  }

  /** Signs the reserved receipt with the tab key and stores it before it leaves the worker. */
  async sign(row: ReceiptRow, tab: TabRow): Promise<ReceiptRow> {
    const iat = this.clock();
    const token = await signToken(
      "receipt",
      {
        aud: tab.merchant,
        tab: tab.tab,
        seq: row.seq,
        amt: formatAmount(row.amount),
        cum: formatAmount(row.cum),
        org: row.origin,
        res: row.target,
        off: row.offer,
        iat,
        exp: tab.expiresAt,
      },
      tab.key,
    );
    const signed = { ...row, token, certificate: tab.certificate };
    await this.db.receipts.update(row.id, { token, certificate: tab.certificate });
    return signed;
  }

  /** Presents a signed receipt to the merchant and records what the answer settles. */
  async present(row: ReceiptRow, server: string): Promise<Outcome> {
    if (!row.token || !row.certificate) {
      await this.rollback(row);
      return { kind: "refused", error: new OpenTabError("payment_declined", "never sent") };
    }
    try {
      const reply = await this.clients
        .merchant(server)
        .unlock({ certificate: row.certificate, receipt: row.token });
      return { kind: "accepted", grant: await this.accept(row, reply) };
    } catch (e: unknown) {
      const error = asOpenTabError(e);
      if (error.code === "merchant_unavailable") return { kind: "unknown", error };
      return { kind: "refused", error };
    }
  }

  /** Marks the receipt accepted and keeps the grant it bought, in one transaction. */
  async accept(row: ReceiptRow, reply?: UnlockReply): Promise<GrantRow | undefined> {
    const grant = reply ? grantRow(row, reply, this.clock()) : undefined;
    await this.db.transaction("rw", this.db.receipts, this.db.grants, async () => {
      await this.db.receipts.update(row.id, { status: "accepted" });
      if (grant) await this.db.grants.put(grant);
    });
    return grant;
  }

  /** Undoes a reservation the merchant definitely refused (or that was never sent). */
  async rollback(row: ReceiptRow): Promise<void> {
    const { db } = this;
    await db.transaction("rw", db.tabs, db.receipts, async () => {
      await db.receipts.delete(row.id);
      const tab = await db.tabs.get(row.tab);
      // Receipts go one at a time per tab, so a pending one is always the tab's newest.
      if (tab && tab.seq === row.seq) {
        await db.tabs.update(row.tab, { seq: row.seq - 1, cum: tab.cum - row.amount });
      }
    });
    log.info("receipt_rolled_back", { tab: row.tab, seq: row.seq });
  }

  pending(tabId?: string): Promise<ReceiptRow[]> {
    const rows = this.db.receipts.where("status").equals("pending");
    return (tabId ? rows.filter((r) => r.tab === tabId) : rows).sortBy("seq");
  }

  /** What was paid (pending included) since a time, in one currency, for one merchant or all. */
  async spentSince(since: number, currency: string, merchant?: string): Promise<bigint> {
    const rows = await this.db.receipts.where("at").aboveOrEqual(since).toArray();
    return rows
      .filter((r) => r.currency === currency && (merchant === undefined || r.merchant === merchant))
      .reduce((sum, r) => sum + r.amount, 0n);
  }
}

function grantRow(row: ReceiptRow, reply: UnlockReply, now: number): GrantRow {
  const grant: GrantRow = {
    id: row.id,
    merchant: row.merchant,
    offer: row.offer,
    title: row.title,
    token: reply.grant,
    expiresAt: reply.expiresAt,
    at: now,
  };
  if (reply.scope !== undefined) grant.scope = reply.scope;
  else grant.resource = reply.resource;
  return grant;
}

export function asOpenTabError(e: unknown): OpenTabError {
  if (e instanceof OpenTabError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new OpenTabError("internal_error", message);
}
