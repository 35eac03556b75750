import { SnippetError } from "./merchant";

/**
 * The page side of docs/protocol.md §6: requests posted on the page's own window, answered by
 * the extension's content script with the same `id`. Our own requests are echoed to us too, so
 * a message counts as an answer only in a reply shape (a `hello` with `version`, a `lookup`
 * without `merchant`, `paid`, `error`) for an id we are waiting on.
 */

export interface Wallet {
  /** A held grant for the resource or a pass that covers it; never prompts the reader. */
  lookup(merchant: string, resource: string): Promise<string | undefined>;
  /** Asks the reader (or a site rule) to pay; resolves with the grant. */
  pay(merchant: string, resource: string, offer: string): Promise<string>;
}

type Reply = Record<string, unknown>;

const HELLO_TIMEOUT_MS = 1_500;
const HELLO_RETRY_MS = 250;
const LOOKUP_TIMEOUT_MS = 5_000;
/** Longer than the wallet's own approval window, so the wallet's answer normally comes first. */
const PAY_TIMEOUT_MS = 300_000;

const pending = new Map<string, (reply: Reply) => void>();
let counter = 0;
let listening = false;

function isReply(data: Reply): boolean {
  if (data.type === "hello") return data.version === 1;
  if (data.type === "lookup") return !("merchant" in data);
  return data.type === "paid" || data.type === "error";
}

function onMessage(event: MessageEvent): void {
  if (event.source !== window || event.origin !== location.origin) return;
  const data: unknown = event.data;
  if (typeof data !== "object" || data === null || Array.isArray(data)) return;
  const reply: Reply = { ...data };
  if (reply.opentab !== 1 || typeof reply.id !== "string" || !isReply(reply)) return;
  pending.get(reply.id)?.(reply);
}

/** Posts one request and waits for its answer; `resendMs` repeats it until then. */
function ask(request: Reply, timeoutMs: number, resendMs?: number): Promise<Reply> {
  if (!listening) addEventListener("message", onMessage);
  listening = true;
  counter += 1;
  const id = `ot${Date.now().toString(36)}${counter}`;
  const post = () => postMessage({ ...request, opentab: 1, id }, location.origin);
  return new Promise<Reply>((resolve, reject) => {
    const resend = resendMs ? setInterval(post, resendMs) : undefined;
    const done = () => {
      pending.delete(id);
      clearInterval(resend);
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      done();
      reject(new SnippetError("wallet_timeout"));
    }, timeoutMs);
    pending.set(id, (reply) => {
      done();
      resolve(reply);
    });
    post();
  });
}

function grantOf(reply: Reply): string {
  if (reply.type === "error") {
    throw new SnippetError(typeof reply.code === "string" ? reply.code : "payment_failed");
  }
  if (typeof reply.grant !== "string") throw new SnippetError("payment_failed");
  return reply.grant;
}

const bridge: Wallet = {
  async lookup(merchant, resource) {
    const reply = await ask({ type: "lookup", merchant, resource }, LOOKUP_TIMEOUT_MS);
    return typeof reply.grant === "string" ? reply.grant : undefined;
  },
  async pay(merchant, resource, offer) {
    return grantOf(await ask({ type: "pay", merchant, resource, offer }, PAY_TIMEOUT_MS));
  },
};

/** Resolves with the wallet when the extension answers `hello`, or undefined after a timeout. */
export async function detectWallet(): Promise<Wallet | undefined> {
  try {
    await ask({ type: "hello" }, HELLO_TIMEOUT_MS, HELLO_RETRY_MS);
    return bridge;
  } catch {
    return undefined;
  }
}
