import { z } from "zod";
import { MerchantId, Name, WireAmount } from "../../shared/schemas";

/**
 * The page ↔ extension contract (docs/protocol.md §6). The publisher snippet posts these on
 * the page's own window; the content script checks them here before anything else sees them.
 */

const MessageId = z.string().min(1).max(64);
const base = { opentab: z.literal(1), id: MessageId };

export const PageRequest = z.discriminatedUnion("type", [
  z.strictObject({ ...base, type: z.literal("hello") }),
  z.strictObject({ ...base, type: z.literal("lookup"), merchant: MerchantId, resource: Name }),
  z.strictObject({
    ...base,
    type: z.literal("pay"),
    merchant: MerchantId,
    resource: Name,
    offer: Name,
  }),
]);
export type PageRequest = z.infer<typeof PageRequest>;

/** What the content script answers on the page's window; never a key or a receipt. */
export const PageReply = z.discriminatedUnion("type", [
  z.strictObject({ ...base, type: z.literal("hello"), version: z.literal(1) }),
  z.strictObject({ ...base, type: z.literal("lookup"), grant: z.string().optional() }),
  z.strictObject({ ...base, type: z.literal("paid"), grant: z.string(), charged: WireAmount }),
  z.strictObject({
    ...base,
    type: z.literal("error"),
    code: z.string().max(64),
    message: z.string().max(500),
  }),
]);
export type PageReply = z.infer<typeof PageReply>;

/** A page request without its envelope, as the content script forwards it to the worker. */
export type PageAsk =
  | { type: "hello" }
  | { type: "lookup"; merchant: string; resource: string }
  | { type: "pay"; merchant: string; resource: string; offer: string };

/** A reply without its envelope; the content script adds `opentab` and the request's `id`. */
export type PageAnswer =
  | { type: "hello"; version: 1 }
  | { type: "lookup"; grant?: string }
  | { type: "paid"; grant: string; charged: string }
  | { type: "error"; code: string; message: string };
