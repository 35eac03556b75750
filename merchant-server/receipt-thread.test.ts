import { afterEach, describe, expect, it } from "vitest";
import { nodeSignatures } from "../service/signatures";
import { generateSigningKey, type KeyPair } from "../shared/keys";
import { verifyCertificate } from "../shared/payment";
import type { GrantClaims } from "../shared/schemas";
import { buildReceipt, buildTab, now, testKey } from "../test/support/builders";
import { Grants } from "./grants";
import { ReceiptThread } from "./receipt-thread";

let thread: ReceiptThread;
afterEach(() => thread.close());

async function fixture() {
  const issuerKey = await testKey();
  const merchantKey = await generateSigningKey();
  const tab = await buildTab(issuerKey);
  const resolve = (kid: string) => (kid === issuerKey.kid ? issuerKey.publicKey : undefined);
  const certificate = await verifyCertificate(tab.certificate, resolve, tab.claims.aud);
  return { tab, certificate, merchantKey };
}

function grantClaims(tab: string, jti: string): GrantClaims {
  const iat = now();
  return {
    iss: "daily-planet",
    aud: "daily-planet",
    jti,
    tab,
    off: "brief",
    res: "brief",
    iat,
    exp: iat + 60,
  };
}

describe("the receipt thread", () => {
  it("answers each of many receipts asked at once with its own verdict", async () => {
    const { tab, certificate, merchantKey } = await fixture();
    const stranger: KeyPair = await generateSigningKey();
    thread = new ReceiptThread(merchantKey);
    // Every third receipt is signed by a key that is not the tab's: it alone must be refused.
    const receipts = await Promise.all(
      Array.from({ length: 23 }, (_, i) =>
        buildReceipt(
          tab,
          { seq: i + 1, cum: String(250_000 * (i + 1)) },
          i % 3 ? tab.tabKey : stranger,
        ),
      ),
    );
    const verdicts = await Promise.all(
      receipts.map((receipt) =>
        thread.check(receipt, certificate, now()).then(
          ({ claims, payloadHash }) => ({ seq: claims.seq, payloadHash }),
          (e: { code?: string }) => e.code,
        ),
      ),
    );
    expect(verdicts).toEqual(
      receipts.map((_receipt, i) =>
        i % 3
          ? { seq: i + 1, payloadHash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) }
          : "receipt_key_mismatch",
      ),
    );
    const hashes = new Set(verdicts.map((v) => (typeof v === "object" ? v.payloadHash : v)));
    expect(hashes.size).toBe(1 + receipts.filter((_, i) => i % 3).length);
  });

  it("signs the grant asked with a receipt only when the receipt passes", async () => {
    const { tab, certificate, merchantKey } = await fixture();
    thread = new ReceiptThread(merchantKey);
    const grants = new Grants(merchantKey, "daily-planet", nodeSignatures, (c) =>
      thread.signGrant(c),
    );
    const good = await buildReceipt(tab);
    const checked = await thread.check(
      good,
      certificate,
      now(),
      grantClaims(tab.claims.sub, "grant-good"),
    );
    expect((await grants.verify(checked.grant ?? "", now())).jti).toBe("grant-good");
    expect((await thread.check(good, certificate, now())).grant).toBeUndefined();
    const forged = await buildReceipt(tab, {}, await generateSigningKey());
    const refused = thread.check(
      forged,
      certificate,
      now(),
      grantClaims(tab.claims.sub, "grant-bad"),
    );
    await expect(refused).rejects.toMatchObject({ code: "receipt_key_mismatch" });
  });

  it("refuses a receipt with the code the server's own check gives (token_expired)", async () => {
    const { tab, certificate, merchantKey } = await fixture();
    thread = new ReceiptThread(merchantKey);
    const receipt = await buildReceipt(tab, { exp: now() - 3600 });
    await expect(thread.check(receipt, certificate, now())).rejects.toMatchObject({
      code: "token_expired",
    });
  });

  it("signs grants that the merchant's own check accepts, each its own", async () => {
    const { tab, merchantKey } = await fixture();
    thread = new ReceiptThread(merchantKey);
    const grants = new Grants(merchantKey, "daily-planet", nodeSignatures, (c) =>
      thread.signGrant(c),
    );
    const tokens = await Promise.all(
      ["grant-one", "grant-two", "grant-six"].map((jti) =>
        thread.signGrant(grantClaims(tab.claims.sub, jti)),
      ),
    );
    const checked = await Promise.all(tokens.map((token) => grants.verify(token, now())));
    expect(checked.map((claims) => claims.jti)).toEqual(["grant-one", "grant-two", "grant-six"]);
  });

  it("finishes what it was asked before closing, then refuses more", async () => {
    const { tab, merchantKey } = await fixture();
    thread = new ReceiptThread(merchantKey);
    const asked = Array.from({ length: 9 }, (_, i) =>
      thread.signGrant(grantClaims(tab.claims.sub, `grant-${i}-of-9`)),
    );
    await thread.close();
    expect((await Promise.all(asked)).every((token) => token.split(".").length === 3)).toBe(true);
    await expect(thread.signGrant(grantClaims(tab.claims.sub, "grant-late"))).rejects.toThrow(
      "closed",
    );
  });
});
