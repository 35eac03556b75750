/**
 * The snippet's calls to its own merchant server (docs/protocol.md §4). Replies are checked
 * by hand rather than with zod: the whole snippet must stay under 6 kB gzip, and it reads only
 * a few fields. Every call has a timeout so the page never waits forever.
 */

export interface Offer {
  id: string;
  kind: string;
  title: string;
  display: string;
  scope?: string;
}

/** A failure with the code the reader's message is chosen by (see text.ts). */
export class SnippetError extends Error {
  readonly code: string;

  constructor(code: string, message = code) {
    super(message);
    this.code = code;
  }
}

export const codeOf = (e: unknown): string =>
  e instanceof SnippetError ? e.code : "merchant_unavailable";

const FETCH_TIMEOUT_MS = 10_000;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isText = (value: unknown): value is string => typeof value === "string";

function toOffer(value: unknown): Offer | undefined {
  if (!isObject(value)) return undefined;
  const { id, kind, title, display, scope } = value;
  if (!isText(id) || !isText(kind) || !isText(title) || !isText(display)) return undefined;
  return isText(scope) ? { id, kind, title, display, scope } : { id, kind, title, display };
}

export class Merchant {
  readonly #base: string;

  constructor(base: string) {
    this.#base = base;
  }

  /** The merchant id the wallet is asked about, and the issuer that runs the tabs. */
  async discover(): Promise<{ merchant: string; issuer: string }> {
    const { merchant, issuer } = await this.#call("GET", "/.well-known/opentab.json");
    if (!isText(merchant) || !isText(issuer)) throw new SnippetError("merchant_unavailable");
    return { merchant, issuer };
  }

  async offers(resource: string): Promise<Offer[]> {
    const reply = await this.#call("GET", `/v1/offers?resource=${encodeURIComponent(resource)}`);
    const list = Array.isArray(reply.offers) ? reply.offers : [];
    return list.map(toOffer).filter((offer) => offer !== undefined);
  }

  /** Trades a grant for the resource's content (publisher HTML). */
  async access(grant: string, resource: string): Promise<string> {
    const reply = await this.#call("POST", "/v1/access", { grant, resource });
    if (!isText(reply.content)) throw new SnippetError("merchant_unavailable");
    return reply.content;
  }

  async #call(method: "GET" | "POST", path: string, body?: Json): Promise<Json> {
    let response: Response;
    try {
      response = await fetch(this.#base + path, {
        method,
        credentials: "omit",
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        ...(body && {
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      });
    } catch {
      throw new SnippetError("merchant_unavailable");
    }

    const reply: unknown = await response.json().catch(() => undefined);
    if (response.ok && isObject(reply)) return reply;
    const error = isObject(reply) && isObject(reply.error) ? reply.error : {};
    const known = response.status < 500 && isText(error.code);
    throw new SnippetError(known && isText(error.code) ? error.code : "merchant_unavailable");
  }
}
