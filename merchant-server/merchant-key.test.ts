import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMerchantKey } from "./merchant-key";
import { tempDir } from "./testing";

describe("the merchant key file", () => {
  it("creates the merchant key in a folder that does not exist yet, readable by its owner only", async () => {
    const path = join(tempDir(), "keys", "merchant-key.json");
    const key = await loadMerchantKey(path);
    expect((await loadMerchantKey(path)).kid).toBe(key.kid);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
