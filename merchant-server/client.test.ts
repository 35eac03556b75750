import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenTabError } from "../shared/errors";
import { MerchantClient } from "./client";

// A loopback server whose answer each test chooses, so the client's outcome mapping is tested
// against real HTTP without a merchant behind it.
let answer: { status: number; body: string } = { status: 200, body: "{}" };
let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function caught(promise: Promise<unknown>): Promise<OpenTabError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof OpenTabError)) throw new Error("expected an OpenTabError");
  return error;
}

describe("MerchantClient", () => {
  it("reads a tab state as bigints", async () => {
    answer = {
      status: 200,
      body: JSON.stringify({
        tab: "tab_AAAAAAAAAAAAAAAAAAAAAA",
        seq: 3,
        cum: "750000",
        limit: "5000000",
      }),
    };
    const state = await new MerchantClient(base).tabState("tab_AAAAAAAAAAAAAAAAAAAAAA");
    expect(state).toEqual({ seq: 3, cum: 750000n, limit: 5000000n });
  });

  it("throws the server's code and details on a 4xx (seq_out_of_order)", async () => {
    const error = { code: "seq_out_of_order", message: "gap", details: { seq: 2, cum: "500000" } };
    answer = { status: 409, body: JSON.stringify({ error }) };
    const thrown = await caught(
      new MerchantClient(base).unlock({ certificate: "a", receipt: "b" }),
    );
    expect(thrown.code).toBe("seq_out_of_order");
    expect(thrown.details).toEqual({ seq: 2, cum: "500000" });
  });

  it("treats a 5xx as an unknown outcome (merchant_unavailable)", async () => {
    const error = { code: "issuer_keys_unavailable", message: "no keys" };
    answer = { status: 503, body: JSON.stringify({ error }) };
    const thrown = await caught(
      new MerchantClient(base).unlock({ certificate: "a", receipt: "b" }),
    );
    expect(thrown.code).toBe("merchant_unavailable");
  });

  it("treats a reply it cannot understand as unknown (merchant_unavailable)", async () => {
    answer = { status: 200, body: JSON.stringify({ grant: 7 }) };
    const thrown = await caught(
      new MerchantClient(base).unlock({ certificate: "a", receipt: "b" }),
    );
    expect(thrown.code).toBe("merchant_unavailable");
  });

  it("treats a refused connection as unknown (merchant_unavailable)", async () => {
    const thrown = await caught(new MerchantClient("http://127.0.0.1:1").discovery());
    expect(thrown.code).toBe("merchant_unavailable");
  });
});
