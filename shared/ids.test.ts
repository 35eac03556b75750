import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { batchId, randomId, sha256 } from "./ids";
import { BatchId, TabId, WalletId } from "./schemas";

const WINDOW = "2026-12-03T00:00:00Z/2026-12-04T00:00:00Z#0";

describe("random ids", () => {
  it("makes tab and wallet ids their schemas accept", () => {
    expect(TabId.safeParse(randomId("tab")).success).toBe(true);
    expect(WalletId.safeParse(randomId("wal")).success).toBe(true);
  });

  it("never repeats an id", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId("tab")));
    expect(ids.size).toBe(1000);
  });
});

describe("sha256", () => {
  it("is base64url SHA-256, the empty string included", async () => {
    expect(await sha256("")).toBe("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    expect(await sha256('{"limit":"1"}')).toBe(
      createHash("sha256").update('{"limit":"1"}').digest("base64url"),
    );
  });

  it("hashes bytes and their UTF-8 text alike", async () => {
    const text = "Zürich → 東京";
    expect(await sha256(new TextEncoder().encode(text))).toBe(await sha256(text));
  });
});

describe("batch ids", () => {
  it("derives the id from merchant, currency and window: bat_ + 32 chars of SHA-256", async () => {
    const digest = createHash("sha256").update(`daily-planet\nUSD\n${WINDOW}`).digest("base64url");
    const id = await batchId("daily-planet", "USD", WINDOW);
    expect(id).toBe(`bat_${digest.slice(0, 32)}`);
    expect(BatchId.safeParse(id).success).toBe(true);
  });

  it("gives a rebuilt batch the same id, and another currency or window another", async () => {
    const id = await batchId("daily-planet", "USD", WINDOW);
    expect(await batchId("daily-planet", "USD", WINDOW)).toBe(id);
    expect(await batchId("daily-planet", "EUR", WINDOW)).not.toBe(id);
    expect(await batchId("daily-planet", "USD", WINDOW.replace("#0", "#1"))).not.toBe(id);
  });
});
