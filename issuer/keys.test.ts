import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../merchant-server/testing";
import { ensureKeyFile } from "./keys";

describe("the issuer's key file", () => {
  it("is created in a folder that does not exist yet, readable by its owner only", async () => {
    const path = join(tempDir(), "keys", "issuer-keys.json");
    await ensureKeyFile(path, Math.floor(Date.now() / 1000));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
