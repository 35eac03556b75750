import { z } from "zod";
import { isErrorCode } from "../../shared/errors";

/**
 * The shape of the vector files. Amounts are wire strings; times are fixed seconds, and every
 * vector is checked "as of" its own `now`, so the files stay valid forever.
 */

const Expect = z.union([
  z.literal("accept"),
  z.string().refine(isErrorCode, { message: "a code of shared/errors.ts" }),
]);

const common = {
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string().min(1),
  expect: Expect,
};

/** Key thumbprints the verifying party trusts; every other committed key is untrusted. */
const Trusted = z.array(z.string()).min(1);
const Now = z.number().int().positive();

export const CertificateVector = z.strictObject({
  ...common,
  kind: z.literal("certificate"),
  tokens: z.strictObject({ certificate: z.string() }),
  context: z.strictObject({ trusted: Trusted, merchant: z.string(), now: Now }),
});

export const ReceiptVector = z.strictObject({
  ...common,
  kind: z.literal("receipt"),
  tokens: z.strictObject({ certificate: z.string(), receipt: z.string() }),
  context: z.strictObject({
    trusted: Trusted,
    merchant: z.string(),
    origins: z.array(z.string()),
    offer: z.strictObject({
      id: z.string(),
      resource: z.string(),
      price: z.string(),
      currency: z.string(),
    }),
    state: z.strictObject({ seq: z.number().int().nonnegative(), cum: z.string() }),
    limit: z.string(),
    max_age: z.number().int().positive(),
    now: Now,
  }),
});

export const SignedVector = z.strictObject({
  ...common,
  kind: z.enum(["grant", "batch", "statement"]),
  tokens: z.strictObject({ token: z.string() }),
  context: z.strictObject({ trusted: Trusted, audience: z.string(), now: Now }),
});

export const RequestVector = z.strictObject({
  ...common,
  kind: z.literal("request"),
  tokens: z.strictObject({ token: z.string() }),
  context: z.strictObject({
    trusted: Trusted,
    now: Now,
    request: z.strictObject({
      method: z.string(),
      path: z.string(),
      body: z.string(),
    }),
  }),
});

export const Vector = z.discriminatedUnion("kind", [
  CertificateVector,
  ReceiptVector,
  SignedVector,
  RequestVector,
]);
export type Vector = z.infer<typeof Vector>;

export const VectorFile = z.strictObject({
  description: z.string(),
  vectors: z.array(Vector).min(1),
});
export type VectorFile = z.infer<typeof VectorFile>;
