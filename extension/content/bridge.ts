import { z } from "zod";
import { PageReply, PageRequest } from "../shared/page-messages";

/** What the bridge needs from its page and from the extension; the real ones in index.ts. */
export interface BridgeDeps {
  window: Pick<Window, "addEventListener" | "postMessage">;
  /** The page's own origin, `location.origin`. */
  origin: string;
  send(message: unknown): Promise<unknown>;
}

const WorkerReply = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), data: z.record(z.string(), z.unknown()) }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string().max(64), message: z.string().max(500) }),
  }),
]);

/**
 * Bridges the publisher snippet's window messages to the service worker (docs/protocol.md §6).
 * Messages from another window or frame, or from another origin, are ignored; so is anything
 * that is not a well-formed request (our own replies included). The page only ever gets back
 * the strict reply shapes of §6, so nothing else the worker knows can reach it.
 */
export function startBridge({ window: win, origin, send }: BridgeDeps): void {
  win.addEventListener("message", (event: MessageEvent) => {
    if (event.source !== win || event.origin !== origin) return;
    const parsed = PageRequest.safeParse(event.data);
    if (!parsed.success) return;
    void forward(parsed.data, send).then((reply) => win.postMessage(reply, origin));
  });
}

async function forward(request: PageRequest, send: BridgeDeps["send"]): Promise<PageReply> {
  const { opentab, id, type, ...fields } = request;
  const unanswered: PageReply = {
    opentab,
    id,
    type: "error",
    code: "wallet_not_ready",
    message: "the wallet did not answer; try again",
  };
  let raw: unknown;
  try {
    raw = await send({ ...fields, type: `page.${type}` });
  } catch {
    return unanswered;
  }

  const reply = WorkerReply.safeParse(raw);
  if (!reply.success) return unanswered;
  if (!reply.data.ok) return { opentab, id, type: "error", ...reply.data.error };
  const answer = PageReply.safeParse({ ...reply.data.data, opentab, id });
  return answer.success ? answer.data : unanswered;
}
