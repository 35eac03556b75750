import { z } from "zod";
import { Currency, MerchantId, Name, Origin, Seconds, TabId, Token, WireAmount } from "./schemas";

/**
 * Request and reply bodies of the merchant server's HTTP API (docs/protocol.md §4, §5). The
 * server parses requests with these and its clients (extension, agent wallet) parse replies.
 */

const Url = z.url().max(2048);
/** Publisher HTML; generous, but bounded so a hostile server cannot exhaust a wallet. */
export const Content = z.string().max(4 * 1024 * 1024);

export const DiscoveryReply = z.strictObject({
  merchant: MerchantId,
  name: z.string().min(1).max(200),
  issuer: Url,
  origins: z.array(Origin).min(1).max(32),
  currency: Currency,
  snippet: Url,
  offers: Url,
  unlock: Url,
  access: Url,
  tabs: Url,
});
export type DiscoveryReply = z.infer<typeof DiscoveryReply>;

export const UnlockBody = z.strictObject({ certificate: Token, receipt: Token });
export type UnlockBody = z.infer<typeof UnlockBody>;

export const UnlockReply = z.strictObject({
  grant: Token,
  resource: Name,
  scope: Name.optional(),
  expires_at: Seconds,
  content: Content.optional(),
});
export type UnlockReply = z.infer<typeof UnlockReply>;

export const AccessBody = z.strictObject({ grant: Token, resource: Name });
export type AccessBody = z.infer<typeof AccessBody>;

export const AccessReply = z.strictObject({
  resource: Name,
  content: Content,
  expires_at: Seconds,
});
export type AccessReply = z.infer<typeof AccessReply>;

export const TabStateReply = z.strictObject({
  tab: TabId,
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  cum: WireAmount,
  limit: WireAmount,
});
export type TabStateReply = z.infer<typeof TabStateReply>;

export const SettleRunReply = z.strictObject({
  batches: z.array(
    z.strictObject({
      bid: z.string().max(64),
      status: z.enum(["pending", "settled"]),
      payout: WireAmount.optional(),
      carry_out: WireAmount.optional(),
    }),
  ),
});
export type SettleRunReply = z.infer<typeof SettleRunReply>;

/** The header a paid API route's client sends: `OpenTab-Payment: <certificate> <receipt>`. */
export const PAYMENT_HEADER = "OpenTab-Payment";
