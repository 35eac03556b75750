import { afterEach, describe, expect, it } from "vitest";
import { generateSigningKey } from "../shared/keys";
import { SignatureThread } from "./signature-thread";
import { nodeSignatures } from "./signatures";

let thread: SignatureThread;
afterEach(() => thread.close());

describe("ES256 on the signature thread", () => {
  it("answers each of many operations asked at once with its own result", async () => {
    thread = new SignatureThread();
    const keys = await Promise.all([generateSigningKey(), generateSigningKey()]);
    const inputs = Array.from({ length: 23 }, (_, i) => `header.payload-${i}`);
    const signatures = await Promise.all(
      inputs.map((input, i) => thread.sign(input, keys[i % 2]?.privateKey ?? fail())),
    );
    // Every third check is given another input than the one signed: it alone must be false.
    const checks = await Promise.all(
      inputs.map((input, i) =>
        thread.verify(i % 3 === 0 ? `${input}!` : input, signatures[i] ?? fail(), keyOf(i)),
      ),
    );
    expect(checks).toEqual(inputs.map((_, i) => i % 3 !== 0));
    const byNode = inputs.map((input, i) =>
      nodeSignatures.verify(input, signatures[i] ?? fail(), keyOf(i)),
    );
    expect(await Promise.all(byNode)).toEqual(inputs.map(() => true));

    function keyOf(i: number): CryptoKey {
      return keys[i % 2]?.publicKey ?? fail();
    }
  });

  it("refuses a key of the wrong type before the hand-off (token_key_unknown)", async () => {
    thread = new SignatureThread();
    const key = await generateSigningKey();
    await expect(thread.sign("input", key.publicKey)).rejects.toMatchObject({
      code: "token_key_unknown",
    });
    await expect(thread.verify("input", new Uint8Array(64), key.privateKey)).rejects.toMatchObject({
      code: "token_key_unknown",
    });
  });

  it("answers a signature it cannot parse as invalid, not as a fault", async () => {
    thread = new SignatureThread();
    const key = await generateSigningKey();
    await expect(thread.verify("input", new Uint8Array(3), key.publicKey)).resolves.toBe(false);
  });

  it("finishes what it was asked before closing, then refuses more", async () => {
    thread = new SignatureThread();
    const key = await generateSigningKey();
    const asked = Array.from({ length: 9 }, (_, i) => thread.sign(`input-${i}`, key.privateKey));
    await thread.close();
    const signatures = await Promise.all(asked);
    expect(signatures.every((s) => s.length === 64)).toBe(true);
    await expect(thread.sign("late", key.privateKey)).rejects.toThrow("closed");
  });
});

function fail(): never {
  throw new Error("missing fixture");
}
