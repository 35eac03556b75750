import type { z } from "zod";
import { OpenTabError } from "../shared/errors";
import { AccessReply, DiscoveryReply, TabStateReply, UnlockReply } from "../shared/merchant-api";
import { carriedError, readJson } from "../shared/replies";
import { type OffersResponse, OffersResponse as OffersSchema } from "../shared/schemas";

/**
 * A typed client for the merchant server's HTTP API (docs/protocol.md §4), used by the browser
 * extension, the agent wallet and tests. Only fetch and zod: it bundles into a service worker.
 *
 * Outcomes are split the way a wallet must act on them: a 4xx reply is a definite refusal and
 * throws the server's code and details; a network failure, a timeout, a 5xx or a reply that
 * cannot be understood throws `merchant_unavailable`, an unknown outcome the wallet resolves by
 * presenting the same receipt again (an identical receipt is never charged twice).
 */

export type Discovery = DiscoveryReply;

export interface Unlocked {
  grant: string;
  resource: string;
  scope?: string;
  expiresAt: number;
  content?: string;
}

export interface Accessed {
  resource: string;
  content: string;
  expiresAt: number;
}

export interface TabState {
  seq: number;
  cum: bigint;
  limit: bigint;
}

const DEFAULT_TIMEOUT_MS = 10_000;

const unavailable = (message: string, details?: Record<string, unknown>) =>
  new OpenTabError("merchant_unavailable", message, details);

export class MerchantClient {
  readonly #baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, fetchImpl?: typeof fetch, timeoutMs = DEFAULT_TIMEOUT_MS) {
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#fetch = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
    this.#timeoutMs = timeoutMs;
  }

  discovery(): Promise<Discovery> {
    return this.#call(DiscoveryReply, "GET", "/.well-known/opentab.json");
  }

  offers(resource: string): Promise<OffersResponse> {
    return this.#call(OffersSchema, "GET", `/v1/offers?resource=${encodeURIComponent(resource)}`);
  }

  async unlock(req: { certificate: string; receipt: string }): Promise<Unlocked> {
    const body = { certificate: req.certificate, receipt: req.receipt };
    const reply = await this.#call(UnlockReply, "POST", "/v1/unlock", body);
    return {
      grant: reply.grant,
      resource: reply.resource,
      ...(reply.scope === undefined ? {} : { scope: reply.scope }),
      expiresAt: reply.expires_at,
      ...(reply.content === undefined ? {} : { content: reply.content }),
    };
  }

  async access(grant: string, resource: string): Promise<Accessed> {
    const reply = await this.#call(AccessReply, "POST", "/v1/access", { grant, resource });
    return { resource: reply.resource, content: reply.content, expiresAt: reply.expires_at };
  }

  async tabState(tab: string): Promise<TabState> {
    const reply = await this.#call(TabStateReply, "GET", `/v1/tabs/${encodeURIComponent(tab)}`);
    return { seq: reply.seq, cum: BigInt(reply.cum), limit: BigInt(reply.limit) };
  }

  async #call<S extends z.ZodType>(
    schema: S,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<z.infer<S>> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        redirect: "error",
        signal: AbortSignal.timeout(this.#timeoutMs),
        ...(body === undefined
          ? {}
          : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
    } catch (e: unknown) {
      throw unavailable(
        `merchant cannot be reached: ${e instanceof Error ? e.message : String(e)}`,
      );
    }

    const reply = await readJson(response);
    if (response.status >= 400 && response.status < 500) throw refusal(response.status, reply);
    if (!response.ok) throw unavailable(`merchant answered ${response.status}`, codeOf(reply));

    const parsed = schema.safeParse(reply);
    if (!parsed.success) throw unavailable(`merchant reply to ${path} is not understood`);
    return parsed.data;
  }
}

function codeOf(reply: unknown): Record<string, unknown> | undefined {
  const error = carriedError(reply);
  return error ? { code: error.code } : undefined;
}

/** A 4xx without an OpenTab error body (a proxy's page, say) tells nothing: treat as unknown. */
function refusal(status: number, reply: unknown): OpenTabError {
  return carriedError(reply) ?? unavailable(`merchant answered ${status} without an OpenTab error`);
}
