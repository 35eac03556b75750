import { CompactSign } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKey } from "../../shared/keys";
import { flipS, normalizeLowS } from "../../shared/tokens/ecdsa";
import {
  certificateFor,
  expectRefused,
  type LiveTab,
  type LiveWorld,
  nowS,
  originOf,
  postJson,
  receiptClaimsFor,
  receiptFor,
  send,
  startLiveWorld,
  unchanged,
  unlockUrl,
} from "./support";

/**
 * Attacks on the unlock path and the paid API over real HTTP: each is refused with its code and
 * leaves every database (issuer and both merchants) exactly as it was.
 */

let world: LiveWorld;
beforeAll(async () => {
  world = await startLiveWorld();
});
afterAll(() => world.close());

const planet = () => world.merchants["daily-planet"];
const gazette = () => world.merchants["gotham-gazette"];

async function unlock(tab: LiveTab, receipt: string, at = planet()) {
  return postJson(unlockUrl(at), { certificate: tab.certificate, receipt });
}

/** A tab at daily-planet that already holds one accepted receipt (seq 1, cum 250000). */
async function paidTab(limit?: bigint): Promise<{ tab: LiveTab; receipt: string; grant: string }> {
  const tab = await world.openTab("daily-planet", limit);
  const receipt = await receiptFor(tab);
  const reply = await unlock(tab, receipt);
  expect(reply.status).toBe(200);
  const grant = (reply.body as { grant: string }).grant;
  return { tab, receipt, grant };
}

async function refused(attack: () => Promise<Awaited<ReturnType<typeof send>>>, code: string) {
  expectRefused(await unchanged(world, attack), code);
}

describe("replay", () => {
  it("refuses a receipt accepted at one merchant when replayed at another (merchant_mismatch)", async () => {
    const { tab, receipt } = await paidTab();
    await refused(() => unlock(tab, receipt, gazette()), "merchant_mismatch");
  });

  it("refuses another merchant's certificate even with a receipt addressed here (merchant_mismatch)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await receiptFor(tab, {
      aud: "gotham-gazette",
      org: originOf("gotham-gazette"),
    });
    await refused(() => unlock(tab, receipt, gazette()), "merchant_mismatch");
  });

  it("re-presenting the identical receipt returns the same grant and charges nothing", async () => {
    const { tab, receipt, grant } = await paidTab();
    const reply = await unchanged(world, () => unlock(tab, receipt));
    expect(reply.status).toBe(200);
    expect((reply.body as { grant: string }).grant).toBe(grant);
  });

  it("refuses a grant for one resource presented for another (grant_invalid)", async () => {
    const { grant } = await paidTab();
    await refused(
      () => postJson(`${planet().url}/v1/access`, { grant, resource: "mars-rover" }),
      "grant_invalid",
    );
  });

  it("refuses a grant of one merchant presented at the other (grant_invalid)", async () => {
    const { grant } = await paidTab();
    await refused(
      () => postJson(`${gazette().url}/v1/access`, { grant, resource: "moon-landing" }),
      "grant_invalid",
    );
  });

  it("refuses a receipt whose res names another resource than its offer (offer_unknown)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await receiptFor(tab, { res: "mars-rover" });
    await refused(() => unlock(tab, receipt), "offer_unknown");
  });

  it("refuses an accepted unlock receipt replayed on a paid API route (seq_reused)", async () => {
    const { tab, receipt } = await paidTab();
    await refused(
      () =>
        send(`${planet().url}/api/quote`, {
          method: "GET",
          headers: { "OpenTab-Payment": `${tab.certificate} ${receipt}` },
        }),
      "seq_reused",
    );
  });

  it("refuses a receipt paid for one API route on another route (offer_unknown)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await apiReceipt(tab);
    const header = { "OpenTab-Payment": `${tab.certificate} ${receipt}` };
    const paid = await send(`${planet().url}/api/quote`, { method: "GET", headers: header });
    expect(paid.status).toBe(200);
    await refused(
      () =>
        send(`${planet().url}/api/forecast`, {
          method: "POST",
          headers: { ...header, "content-type": "application/json" },
          body: "{}",
        }),
      "offer_unknown",
    );
  });

  it("refuses a paid API receipt sent with another HTTP method on its path (not_found)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await apiReceipt(tab);
    await refused(
      () =>
        send(`${planet().url}/api/quote`, {
          method: "DELETE",
          headers: { "OpenTab-Payment": `${tab.certificate} ${receipt}` },
        }),
      "not_found",
    );
  });

  it("refuses a paid API receipt presented as a page unlock (offer_unknown)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await apiReceipt(tab);
    await refused(() => unlock(tab, receipt), "offer_unknown");
  });
});

describe("a price chosen by the client", () => {
  const cheap = (tab: LiveTab) => receiptFor(tab, { amt: "1", cum: "1" });

  it("refuses an extra price field in the unlock body (invalid_body)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await cheap(tab);
    await refused(
      () => postJson(unlockUrl(planet()), { certificate: tab.certificate, receipt, price: "1" }),
      "invalid_body",
    );
  });

  it("ignores a price in the query: the receipt's amount must be the catalogue's (price_mismatch)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await cheap(tab);
    await refused(
      () =>
        postJson(`${unlockUrl(planet())}?price=1&amount=1`, {
          certificate: tab.certificate,
          receipt,
        }),
      "price_mismatch",
    );
  });

  it.each(["X-Price", "X-OpenTab-Price", "OpenTab-Price", "X-Amount"])(
    "ignores a %s header (price_mismatch)",
    async (header) => {
      const tab = await world.openTab("daily-planet");
      const receipt = await cheap(tab);
      await refused(
        () =>
          postJson(
            unlockUrl(planet()),
            { certificate: tab.certificate, receipt },
            { [header]: "1" },
          ),
        "price_mismatch",
      );
    },
  );

  it("ignores a price in a paid API's query and headers (price_mismatch)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await apiReceipt(tab, "1");
    await refused(
      () =>
        send(`${planet().url}/api/quote?price=1`, {
          method: "GET",
          headers: { "OpenTab-Payment": `${tab.certificate} ${receipt}`, "X-Price": "1" },
        }),
      "price_mismatch",
    );
  });

  it("refuses a pass bought at an unlock's price (price_mismatch)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await receiptFor(tab, { res: "news", off: "day-pass" });
    await refused(() => unlock(tab, receipt), "price_mismatch");
  });
});

describe("amounts", () => {
  it.each([
    ["zero", "0", "amount_invalid"],
    ["negative", "-250000", "amount_invalid"],
    ["fractional", "0.25", "amount_invalid"],
    ["with an exponent", "2.5e5", "amount_invalid"],
    ["with a leading zero", "0250000", "amount_invalid"],
    ["past 18 digits", "1".padEnd(40, "0"), "amount_invalid"],
    ["huge but well-formed", "999999999999999999", "price_mismatch"],
  ])("refuses an amount %s (%s → %s)", async (_name, amt, code) => {
    const tab = await world.openTab("daily-planet");
    const receipt = await forgeReceipt(tab, { amt, cum: amt });
    await refused(() => unlock(tab, receipt), code);
  });

  it("refuses an amount sent as a JSON number (amount_invalid)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await forgeReceipt(tab, { amt: 250000, cum: 250000 });
    await refused(() => unlock(tab, receipt), "amount_invalid");
  });
});

describe("origin and certificate", () => {
  it.each([
    ["an unrelated site", "https://evil.example"],
    ["the other merchant", originOf("gotham-gazette")],
    ["the right host over http", "http://daily-planet.example"],
  ])("refuses a receipt from %s (origin_mismatch)", async (_name, org) => {
    const tab = await world.openTab("daily-planet");
    await refused(async () => unlock(tab, await receiptFor(tab, { org })), "origin_mismatch");
  });

  it("refuses an origin with a trailing slash, not in URL.origin form (token_claims_invalid)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await forgeReceipt(tab, { org: "https://daily-planet.example/" });
    await refused(() => unlock(tab, receipt), "token_claims_invalid");
  });

  it("refuses an expired certificate signed with the issuer's key (certificate_expired)", async () => {
    const tab = await world.openTab("daily-planet");
    const past = nowS() - 3_600;
    const certificate = await certificateFor(tab, world.issuer.issuerId, world.issuerKey, {
      iat: past - 86_400,
      exp: past,
    });
    const receipt = await receiptFor(tab, { exp: past });
    await refused(
      () => postJson(unlockUrl(planet()), { certificate, receipt }),
      "certificate_expired",
    );
  });

  it("refuses a certificate from a key the merchant does not trust (token_key_unknown)", async () => {
    const tab = await world.openTab("daily-planet");
    const rogue = await generateSigningKey();
    const certificate = await certificateFor(tab, world.issuer.issuerId, rogue);
    const receipt = await receiptFor(tab);
    await refused(
      () => postJson(unlockUrl(planet()), { certificate, receipt }),
      "token_key_unknown",
    );
  });

  it("refuses a certificate for another merchant (merchant_mismatch)", async () => {
    const tab = await world.openTab("gotham-gazette");
    const receipt = await receiptFor(tab, { aud: "daily-planet", org: originOf("daily-planet") });
    await refused(() => unlock(tab, receipt, planet()), "merchant_mismatch");
  });

  it("refuses a certificate whose limit was raised by the wallet (token_signature_invalid)", async () => {
    const tab = await world.openTab("daily-planet");
    const [h, p, s] = tab.certificate.split(".");
    const claims = JSON.parse(Buffer.from(p ?? "", "base64url").toString()) as { lim: string };
    const raised = Buffer.from(JSON.stringify({ ...claims, lim: "900000000" })).toString(
      "base64url",
    );
    const certificate = `${h}.${raised}.${s}`;
    const receipt = await receiptFor(tab);
    await refused(
      () => postJson(unlockUrl(planet()), { certificate, receipt }),
      "token_signature_invalid",
    );
  });

  it("refuses a certificate in another currency (currency_mismatch)", async () => {
    const tab = await world.openTab("daily-planet");
    const certificate = await certificateFor(tab, world.issuer.issuerId, world.issuerKey, {
      cur: "EUR",
    });
    const receipt = await receiptFor(tab);
    await refused(
      () => postJson(unlockUrl(planet()), { certificate, receipt }),
      "currency_mismatch",
    );
  });
});

describe("tab keys and sequence", () => {
  it("refuses a receipt signed by another tab's key (receipt_key_mismatch)", async () => {
    const tab = await world.openTab("daily-planet");
    const other = await world.openTab("daily-planet");
    const receipt = await receiptFor(tab, {}, other.key);
    await refused(() => unlock(tab, receipt), "receipt_key_mismatch");
  });

  it("refuses a receipt naming another tab under this tab's certificate (receipt_key_mismatch)", async () => {
    const tab = await world.openTab("daily-planet");
    const other = await world.openTab("daily-planet");
    const receipt = await receiptFor(tab, { tab: other.tab });
    await refused(() => unlock(tab, receipt), "receipt_key_mismatch");
  });

  it("refuses a seq gap and tells the wallet where the tab is (seq_out_of_order)", async () => {
    const { tab } = await paidTab();
    const receipt = await receiptFor(tab, { seq: 3, cum: "750000" });
    const reply = await unchanged(world, () => unlock(tab, receipt));
    expectRefused(reply, "seq_out_of_order");
    expect(reply.body).toMatchObject({ error: { details: { seq: 1, cum: "250000" } } });
  });

  it("refuses a used seq with a different payload (seq_reused)", async () => {
    const { tab } = await paidTab();
    const receipt = await receiptFor(tab, {
      res: "mars-rover",
      off: "mars-rover",
      amt: "400000",
      cum: "400000",
    });
    await refused(() => unlock(tab, receipt), "seq_reused");
  });

  it("refuses a used seq signed again with another iat (seq_reused)", async () => {
    const { tab } = await paidTab();
    const receipt = await receiptFor(tab, { iat: nowS() - 5 });
    await refused(() => unlock(tab, receipt), "seq_reused");
  });

  it("refuses a fresh receipt in the other ECDSA s form (signature_not_canonical)", async () => {
    const tab = await world.openTab("daily-planet");
    await refused(async () => unlock(tab, highS(await receiptFor(tab))), "signature_not_canonical");
  });

  it("refuses an accepted receipt replayed in the other ECDSA s form (signature_not_canonical)", async () => {
    const { tab, receipt } = await paidTab();
    await refused(() => unlock(tab, highS(receipt)), "signature_not_canonical");
  });

  it("refuses a certificate in the other ECDSA s form (signature_not_canonical)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await receiptFor(tab);
    await refused(
      () => postJson(unlockUrl(planet()), { certificate: highS(tab.certificate), receipt }),
      "signature_not_canonical",
    );
  });

  it("refuses a signature re-encoded with other unused base64url bits (signature_not_canonical)", async () => {
    const tab = await world.openTab("daily-planet");
    await refused(
      async () => unlock(tab, reencoded(await receiptFor(tab))),
      "signature_not_canonical",
    );
  });

  it("refuses a receipt whose cum passes the tab's limit (tab_limit_exceeded)", async () => {
    const { tab } = await paidTab(400_000n);
    const receipt = await receiptFor(tab, { seq: 2, cum: "500000" });
    await refused(() => unlock(tab, receipt), "tab_limit_exceeded");
  });

  it("refuses a cum that does not add up (cum_mismatch)", async () => {
    const { tab } = await paidTab();
    const receipt = await receiptFor(tab, { seq: 2, cum: "250000" });
    await refused(() => unlock(tab, receipt), "cum_mismatch");
  });

  it("refuses a receipt older than five minutes (receipt_stale)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await receiptFor(tab, { iat: nowS() - 400 });
    await refused(() => unlock(tab, receipt), "receipt_stale");
  });

  it("refuses a receipt signed by the wallet's identity key (receipt_key_mismatch)", async () => {
    const tab = await world.openTab("daily-planet");
    const receipt = await receiptFor(tab, {}, world.wallet.key);
    await refused(() => unlock(tab, receipt), "receipt_key_mismatch");
  });
});

/** The same token with its signature in the high-s form: still a valid ECDSA signature. */
function highS(token: string): string {
  const dot = token.lastIndexOf(".");
  return `${token.slice(0, dot + 1)}${flipS(token.slice(dot + 1))}`;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Flips an unused low bit of the signature's last character: other text, the same bytes. */
function reencoded(token: string): string {
  const last = token.at(-1) ?? "A";
  return `${token.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(last) ^ 1]}`;
}

/** Signs claims the schema would refuse (a wallet bypassing its own checks can send anything). */
async function forgeReceipt(tab: LiveTab, overrides: Record<string, unknown>): Promise<string> {
  const claims = { ...receiptClaimsFor(tab), ...overrides };
  const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: "ES256", typ: "opentab-receipt+jwt", kid: tab.key.kid })
    .sign(tab.key.privateKey);
  return normalizeLowS(token);
}

/** A receipt for the GET quote API at its price, or at another amount. */
const apiReceipt = (tab: LiveTab, amt = "10000") =>
  receiptFor(tab, { amt, cum: amt, res: "quote", off: "quote" });
