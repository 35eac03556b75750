import type { Runtime } from "webextension-polyfill";
import { z } from "zod";
import { fail } from "../../shared/errors";
import {
  type Envelope,
  isRequestType,
  pageRequestTypes,
  type Replies,
  type Request,
  RequestHead,
  type RequestType,
} from "../shared/messages";
import { asOpenTabError } from "./receipts";

/** Who sent a runtime message, as the browser reports it; never what the message claims. */
export type Caller = { kind: "page"; origin: string } | { kind: "extension" };

/** One message type's schema and handler, bound together so the handler gets parsed input. */
export interface Route {
  run(message: unknown, caller: Caller): Promise<unknown>;
}
export type Routes = { [T in RequestType]?: Route };

export function route<S extends z.ZodType<Request>>(
  schema: S,
  handle: (request: z.output<S>, caller: Caller) => Promise<Replies[z.output<S>["type"]]>,
): Route {
  return {
    run: (message, caller) => {
      const parsed = schema.safeParse(message);
      if (!parsed.success) fail("invalid_body", "the message is malformed");
      return handle(parsed.data, caller);
    },
  };
}

export interface Identity {
  /** This extension's id. */
  id: string;
  /** This extension's own page origin with a trailing slash, e.g. chrome-extension://abc/. */
  base: string;
}

const SenderOrigin = z.object({ origin: z.string().optional() });

/** Maps each message type to its handler; checks the caller and the message shape first. */
export class Router {
  constructor(
    private readonly routes: Routes,
    private readonly self: Identity,
  ) {}

  async handle(message: unknown, sender: Runtime.MessageSender): Promise<Envelope<unknown>> {
    try {
      return { ok: true, data: await this.dispatch(message, sender) };
    } catch (e: unknown) {
      const { code, message: text } = asOpenTabError(e);
      return { ok: false, error: { code, message: text } };
    }
  }

  private async dispatch(message: unknown, sender: Runtime.MessageSender): Promise<unknown> {
    const head = RequestHead.safeParse(message);
    if (!head.success) fail("invalid_body", "a message needs a type");

    const type = head.data.type;
    if (!isRequestType(type)) fail("invalid_body", `unknown message type ${type}`);

    const caller = this.caller(sender);
    const fromPage = pageRequestTypes.has(type);
    if (fromPage !== (caller.kind === "page"))
      fail("origin_mismatch", `${type} from the wrong sender`);

    const entry = this.routes[type];
    if (!entry) fail("not_found", `no handler for ${type}`);
    return entry.run(message, caller);
  }

  /** An extension page, or the top frame of an http(s) page through our content script. */
  private caller(sender: Runtime.MessageSender): Caller {
    if (sender.id !== this.self.id) fail("origin_mismatch", "message from another extension");

    if (sender.url?.startsWith(this.self.base) && !sender.tab?.url?.startsWith("http")) {
      return { kind: "extension" };
    }

    if (!sender.tab || sender.frameId !== 0)
      fail("origin_mismatch", "only a page's top frame may ask");

    const origin = SenderOrigin.parse(sender).origin ?? originOf(sender.url);
    if (!origin || !/^https?:\/\//.test(origin))
      fail("origin_mismatch", "the page has no web origin");
    return { kind: "page", origin };
  }
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
