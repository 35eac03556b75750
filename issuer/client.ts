import type { z } from "zod";
import { OpenTabError } from "../shared/errors";
import {
  CloseTabReply,
  type IssuerJwk,
  JwksReply,
  MerchantRecord,
  type MerchantRegistration,
  type MovementKind,
  OpenTabReply,
  RaiseLimitReply,
  SettleReply,
  type TabStatus,
  TopUpReply,
  WalletReply,
  WalletStatementWire,
} from "../shared/issuer-api";
import type { KeyPair, SigningKey } from "../shared/keys";
import { formatAmount } from "../shared/money";
import { carriedError, readJson } from "../shared/replies";
import { signRequest } from "../shared/request";
import type { PublicJwk } from "../shared/schemas";

/**
 * A typed client for the issuer's HTTP API (docs/protocol.md §3), shared by the browser
 * extension, the agent wallet and the tests. It uses only fetch and WebCrypto, so it bundles
 * into an extension service worker. Every reply is schema-checked before use.
 */

export type { MerchantRecord } from "../shared/issuer-api";

export interface WalletAuth {
  wallet: string;
  key: SigningKey;
}

export interface WalletBalance {
  currency: string;
  available: bigint;
  reserved: bigint;
  spent: bigint;
  testMoney: boolean;
}

export interface WalletTab {
  tab: string;
  merchant: string;
  currency: string;
  limit: bigint;
  settled: bigint;
  status: TabStatus;
  expiresAt: number;
}

export interface WalletMovement {
  at: number;
  kind: MovementKind;
  amount: bigint;
  currency: string;
  tab?: string;
}

export interface WalletStatement {
  wallet: string;
  balances: WalletBalance[];
  tabs: WalletTab[];
  movements: WalletMovement[];
}

/** A merchant as the admin registers it; `payoutAccount` is where its payouts go. */
export interface MerchantInput {
  id: string;
  name: string;
  origins: string[];
  server: string;
  currency: string;
  keys: PublicJwk[];
  payoutAccount: string;
}

type Method = "GET" | "POST";

interface Call {
  method: Method;
  path: string;
  body?: unknown;
  /** Signs the request with this key (wallet calls and registration). */
  signer?: { key: SigningKey; wallet?: string };
  headers?: Record<string, string>;
}

const unavailable = (message: string) => new OpenTabError("issuer_unavailable", message);

export class IssuerClient {
  readonly #baseUrl: string;
  readonly #fetch: typeof fetch;

  constructor(baseUrl: string, fetchImpl?: typeof fetch) {
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#fetch = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  }

  async jwks(): Promise<{ keys: IssuerJwk[] }> {
    return this.#call(JwksReply, { method: "GET", path: "/.well-known/jwks.json" });
  }

  async merchant(id: string): Promise<MerchantRecord> {
    return this.#call(MerchantRecord, {
      method: "GET",
      path: `/v1/merchants/${encodeURIComponent(id)}`,
    });
  }

  async register(identity: KeyPair): Promise<{ wallet: string; recoveryCode: string }> {
    const reply = await this.#call(WalletReply, {
      method: "POST",
      path: "/v1/wallets",
      body: { key: identity.publicJwk },
      signer: { key: identity },
    });
    return { wallet: reply.wallet, recoveryCode: reply.recovery_code };
  }

  async recover(
    identity: KeyPair,
    recoveryCode: string,
  ): Promise<{ wallet: string; recoveryCode: string }> {
    const reply = await this.#call(WalletReply, {
      method: "POST",
      path: "/v1/wallets/recover",
      body: { key: identity.publicJwk, recovery_code: recoveryCode },
      signer: { key: identity },
    });
    return { wallet: reply.wallet, recoveryCode: reply.recovery_code };
  }

  async statement(auth: WalletAuth): Promise<WalletStatement> {
    const wire = await this.#call(WalletStatementWire, {
      method: "GET",
      path: "/v1/wallet",
      signer: auth,
    });
    return {
      wallet: wire.wallet,
      balances: wire.balances.map((b) => ({
        currency: b.currency,
        available: BigInt(b.available),
        reserved: BigInt(b.reserved),
        spent: BigInt(b.spent),
        testMoney: b.test_money,
      })),
      tabs: wire.tabs.map((t) => ({
        tab: t.tab,
        merchant: t.merchant,
        currency: t.currency,
        limit: BigInt(t.limit),
        settled: BigInt(t.settled),
        status: t.status,
        expiresAt: t.expires_at,
      })),
      movements: wire.movements.map((m) => ({
        at: m.at,
        kind: m.kind,
        amount: BigInt(m.amount),
        currency: m.currency,
        ...(m.tab === undefined ? {} : { tab: m.tab }),
      })),
    };
  }

  async topUp(
    auth: WalletAuth,
    amount: bigint,
    currency: string,
  ): Promise<{ topup: string; balance: bigint; testMoney: true }> {
    const reply = await this.#call(TopUpReply, {
      method: "POST",
      path: "/v1/wallet/topups",
      body: { amount: formatAmount(amount), currency },
      signer: auth,
    });
    return { topup: reply.topup, balance: BigInt(reply.balance), testMoney: reply.test_money };
  }

  async openTab(
    auth: WalletAuth,
    req: { merchant: string; key: PublicJwk; limit: bigint; currency: string },
  ): Promise<{ tab: string; certificate: string; limit: bigint; expiresAt: number }> {
    const { kty, crv, x, y } = req.key;
    const reply = await this.#call(OpenTabReply, {
      method: "POST",
      path: "/v1/tabs",
      body: {
        merchant: req.merchant,
        key: { kty, crv, x, y },
        limit: formatAmount(req.limit),
        currency: req.currency,
      },
      signer: auth,
    });
    return {
      tab: reply.tab,
      certificate: reply.certificate,
      limit: BigInt(reply.limit),
      expiresAt: reply.expires_at,
    };
  }

  async raiseLimit(
    auth: WalletAuth,
    tab: string,
    limit: bigint,
  ): Promise<{ certificate: string; limit: bigint }> {
    const reply = await this.#call(RaiseLimitReply, {
      method: "POST",
      path: `/v1/tabs/${encodeURIComponent(tab)}/limit`,
      body: { limit: formatAmount(limit) },
      signer: auth,
    });
    return { certificate: reply.certificate, limit: BigInt(reply.limit) };
  }

  async closeTab(auth: WalletAuth, tab: string): Promise<void> {
    await this.#call(CloseTabReply, {
      method: "POST",
      path: `/v1/tabs/${encodeURIComponent(tab)}/close`,
      body: {},
      signer: auth,
    });
  }

  async registerMerchant(adminToken: string, record: MerchantInput): Promise<void> {
    const body: MerchantRegistration = {
      id: record.id,
      name: record.name,
      origins: record.origins,
      server: record.server,
      currency: record.currency,
      keys: record.keys.map(({ kty, crv, x, y }) => ({ kty, crv, x, y })),
      payout_account: record.payoutAccount,
    };
    await this.#request({
      method: "POST",
      path: "/v1/admin/merchants",
      body,
      headers: { authorization: `Bearer ${adminToken}` },
    });
  }

  async settle(batch: string): Promise<{ statement: string }> {
    return this.#call(SettleReply, { method: "POST", path: "/v1/settlements", body: { batch } });
  }

  async #call<S extends z.ZodType>(schema: S, call: Call): Promise<z.infer<S>> {
    const parsed = schema.safeParse(await this.#request(call));
    if (!parsed.success) throw unavailable(`issuer reply to ${call.path} is not understood`);
    return parsed.data;
  }

  /** Sends one request; answers the parsed JSON of a 2xx reply or throws its error code. */
  async #request(call: Call): Promise<unknown> {
    const body = call.body === undefined ? "" : JSON.stringify(call.body);
    const headers: Record<string, string> = { ...call.headers };
    if (call.body !== undefined) headers["content-type"] = "application/json";
    if (call.signer) {
      const claims = { method: call.method, path: call.path, body };
      const signed = call.signer.wallet ? { ...claims, wallet: call.signer.wallet } : claims;
      headers.authorization = await signRequest(signed, call.signer.key);
    }

    let response: Response;
    try {
      response = await this.#fetch(`${this.#baseUrl}${call.path}`, {
        method: call.method,
        headers,
        ...(call.body === undefined ? {} : { body }),
      });
    } catch (e: unknown) {
      throw unavailable(`issuer cannot be reached: ${e instanceof Error ? e.message : String(e)}`);
    }

    const reply = await readJson(response);
    if (response.ok) return reply;
    throw toError(response.status, reply);
  }
}

function toError(status: number, reply: unknown): OpenTabError {
  return carriedError(reply) ?? unavailable(`issuer answered ${status} without an OpenTab error`);
}
