import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../shared/request";
import { peekClaims } from "../shared/tokens/verify";
import { codeOf } from "../test/support/codes";
import { rotateKeyFile } from "./keys";
import {
  ADMIN_TOKEN,
  issuerSuite,
  newWallet,
  openTestTab,
  type StoreKind,
  signBatch,
  signReceipt,
  startTestIssuer,
  type TestWallet,
} from "./testing";

async function errorCode(response: Response): Promise<string> {
  const body: unknown = await response.json();
  const error = typeof body === "object" && body !== null && "error" in body ? body.error : {};
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
}

describe.each<StoreKind>(["sqlite", "postgres"])("issuer HTTP edges over %s", (kind) => {
  const env = issuerSuite(kind, "edge-shop");
  let wallet: TestWallet;
  beforeAll(async () => {
    wallet = await newWallet(env.client);
  });

  const topUpBody = JSON.stringify({ amount: "1000000", currency: "USD" });
  const post = (path: string, body: string, authorization?: string, type = "application/json") =>
    fetch(`${env.issuer.url}${path}`, {
      method: "POST",
      headers: { "content-type": type, ...(authorization ? { authorization } : {}) },
      body,
    });
  const signedTopUp = (body = topUpBody) =>
    signRequest(
      { method: "POST", path: "/v1/wallet/topups", body, wallet: wallet.wallet },
      wallet.key,
    );

  it("refuses a replayed wallet request (request_replayed) and moves money once", async () => {
    const authorization = await signedTopUp();
    expect((await post("/v1/wallet/topups", topUpBody, authorization)).status).toBe(201);
    const replay = await post("/v1/wallet/topups", topUpBody, authorization);
    expect([replay.status, await errorCode(replay)]).toEqual([401, "request_replayed"]);
    expect((await env.client.statement(wallet)).balances[0]?.available).toBe(1_000_000n);
  });

  it("refuses a body other than the signed one (request_body_mismatch)", async () => {
    const authorization = await signedTopUp();
    const tampered = JSON.stringify({ amount: "9000000", currency: "USD" });
    expect(await errorCode(await post("/v1/wallet/topups", tampered, authorization))).toBe(
      "request_body_mismatch",
    );
  });

  it("refuses an unsigned wallet request (request_unsigned)", async () => {
    expect(await errorCode(await post("/v1/wallet/topups", topUpBody))).toBe("request_unsigned");
  });

  it("refuses a request token signed for another path (request_signature_invalid)", async () => {
    const authorization = await signRequest(
      { method: "POST", path: "/v1/tabs", body: topUpBody, wallet: wallet.wallet },
      wallet.key,
    );
    expect(await errorCode(await post("/v1/wallet/topups", topUpBody, authorization))).toBe(
      "request_signature_invalid",
    );
  });

  it("refuses bodies that are not JSON, too large or of the wrong shape", async () => {
    const text = await post("/v1/wallet/topups", "amount=1", undefined, "text/plain");
    expect([text.status, await errorCode(text)]).toEqual([415, "unsupported_media_type"]);
    const huge = await post("/v1/wallet/topups", JSON.stringify({ pad: "x".repeat(70_000) }));
    expect([huge.status, await errorCode(huge)]).toEqual([413, "body_too_large"]);
    const bad = await post("/v1/wallet/topups", JSON.stringify({ amount: 5, currency: "USD" }));
    expect([bad.status, await errorCode(bad)]).toEqual([400, "amount_invalid"]);
    const shape = await post(
      "/v1/wallet/topups",
      JSON.stringify({ amount: "5", currency: "USD", x: 1 }),
    );
    expect([shape.status, await errorCode(shape)]).toEqual([400, "invalid_body"]);
  });

  it("refuses merchant registration without the admin token (admin_token_invalid)", async () => {
    const response = await post("/v1/admin/merchants", "{}", "Bearer not-the-token");
    expect([response.status, await errorCode(response)]).toEqual([401, "admin_token_invalid"]);
    expect(ADMIN_TOKEN).not.toBe("not-the-token");
  });

  it("answers health to anyone and Prometheus metrics only with the admin token", async () => {
    expect(await (await fetch(`${env.issuer.url}/healthz`)).json()).toEqual({ ok: true });
    const anonymous = await fetch(`${env.issuer.url}/metrics`);
    expect([anonymous.status, await errorCode(anonymous)]).toEqual([401, "admin_token_invalid"]);
    const authorization = `Bearer ${ADMIN_TOKEN}`;
    const metrics = await fetch(`${env.issuer.url}/metrics`, { headers: { authorization } });
    expect(await metrics.text()).toContain("opentab_issuer_http_request_seconds");
  });

  it("keeps a rotated key published and settling while a new key signs new tabs", async () => {
    await env.client.topUp(wallet, 5_000_000n, "USD");
    const before = await openTestTab(env.client, wallet, env.shop, 1_000_000n);
    const oldKid = env.issuer.keyThumbprints()[0];
    const newKid = await rotateKeyFile(join(env.dir, "keys.json"), Math.floor(Date.now() / 1000), {
      tabTtl: 30 * 86_400,
      grace: 7 * 86_400,
    });
    const after = await openTestTab(env.client, wallet, env.shop, 1_000_000n);
    const kidOf = (token: string) =>
      JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()).kid;
    expect(kidOf(before.certificate)).toBe(oldKid);
    expect(kidOf(after.certificate)).toBe(newKid);
    expect((await env.client.jwks()).keys.map((k) => k.kid)).toEqual([oldKid, newKid]);

    const receipt = await signReceipt(before, env.shop, 1, 500_000n);
    const batch = await signBatch(
      env.issuer,
      env.shop,
      [{ certificate: before.certificate, receipt }],
      "w-rot#0",
    );
    const { statement } = await env.client.settle(batch);
    expect(peekClaims(statement)?.gross).toBe("500000");
  });

  it("refuses test top-ups unless test funding is on (topup_disabled)", async () => {
    const closed = await startTestIssuer(kind, { testFunding: false });
    try {
      const owner = await newWallet(closed.client);
      expect(await codeOf(closed.client.topUp(owner, 1n, "USD"))).toBe("topup_disabled");
    } finally {
      await closed.issuer.close();
    }
  });
});
