import browser from "webextension-polyfill";
import type { Envelope, Replies, Request } from "./messages";

/** A refusal from the service worker, with its stable code, for the extension's own pages. */
export class WalletError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// The reply comes from this extension's own service worker, which answers every request type
// with the Replies entry for it; the shape check here guards against an absent or dead worker.
function isEnvelope<T>(value: unknown): value is Envelope<T> {
  return typeof value === "object" && value !== null && "ok" in value;
}

/** Sends one request to the service worker; resolves with its data or throws a WalletError. */
export async function send<R extends Request>(request: R): Promise<Replies[R["type"]]> {
  const reply: unknown = await browser.runtime.sendMessage(request);
  if (!isEnvelope<Replies[R["type"]]>(reply))
    throw new WalletError("wallet_not_ready", "no answer");
  if (!reply.ok) throw new WalletError(reply.error.code, reply.error.message);
  return reply.data;
}

export function errorText(e: unknown): string {
  if (e instanceof WalletError) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
