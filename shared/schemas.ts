import { z } from "zod";
import { type ErrorCode, isErrorCode } from "./errors";
import { isCurrency, isWireAmount } from "./money";

/** Schemas for every token payload and wire body the parties exchange (docs/protocol.md). */

// Amount and currency issues carry their own code, so a verifier answers amount_invalid or
// currency_unknown (protocol §1) for "0.1", "1e3", a JSON number or "XXX", not a generic refusal.
const issueCode = (code: ErrorCode) => ({ params: { code } });

export const WireAmount = z.custom<string>(
  (value) => typeof value === "string" && isWireAmount(value),
  { message: "decimal string of micro-units", ...issueCode("amount_invalid") },
);
export const PositiveAmount = WireAmount.refine((v) => v !== "0", {
  message: "must be > 0",
  ...issueCode("amount_invalid"),
});
export const Currency = z.custom<string>(
  (value) => typeof value === "string" && /^[A-Z]{3}$/.test(value) && isCurrency(value),
  { message: "ISO 4217 currency", ...issueCode("currency_unknown") },
);

/** The code a failed parse maps to: an issue's own code (amount, currency), else `fallback`. */
export function schemaErrorCode(error: z.ZodError, fallback: ErrorCode): ErrorCode {
  for (const issue of error.issues) {
    const code = issue.code === "custom" ? issue.params?.code : undefined;
    if (isErrorCode(code)) return code;
  }
  return fallback;
}

export const MerchantId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/);
export const TabId = z.string().regex(/^tab_[A-Za-z0-9_-]{22}$/);
export const WalletId = z.string().regex(/^wal_[A-Za-z0-9_-]{22}$/);
export const BatchId = z.string().regex(/^bat_[A-Za-z0-9_-]{32}$/);
/** A resource, offer or pass-scope name chosen by the merchant: short, printable, no spaces. */
export const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/);
export const Origin = z
  .string()
  .max(255)
  .refine(
    (value) => {
      try {
        return new URL(value).origin === value;
      } catch {
        return false;
      }
    },
    { message: "an origin such as https://news.example" },
  );
export const Seconds = z.number().int().nonnegative().max(253402300799);
export const Token = z.string().min(1).max(16384);

export const PublicJwk = z.strictObject({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  kid: z.string().max(64).optional(),
});
export type PublicJwk = z.infer<typeof PublicJwk>;

export const CertificateClaims = z.strictObject({
  iss: z.string().min(1).max(255),
  sub: TabId,
  aud: MerchantId,
  cnf: z.strictObject({ jwk: PublicJwk }),
  lim: PositiveAmount,
  cur: Currency,
  iat: Seconds,
  exp: Seconds,
});
export type CertificateClaims = z.infer<typeof CertificateClaims>;

export const ReceiptClaims = z.strictObject({
  aud: MerchantId,
  tab: TabId,
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  amt: PositiveAmount,
  cum: PositiveAmount,
  org: Origin,
  res: Name,
  off: Name,
  iat: Seconds,
  exp: Seconds,
});
export type ReceiptClaims = z.infer<typeof ReceiptClaims>;

export const GrantClaims = z
  .strictObject({
    iss: MerchantId,
    aud: MerchantId,
    jti: z.string().min(8).max(64),
    tab: TabId,
    off: Name,
    res: Name.optional(),
    scp: Name.optional(),
    iat: Seconds,
    exp: Seconds,
  })
  .refine((g) => (g.res === undefined) !== (g.scp === undefined), {
    message: "a grant opens exactly one resource or one pass scope",
  });
export type GrantClaims = z.infer<typeof GrantClaims>;

export const BatchLine = z.strictObject({ certificate: Token, receipt: Token });
export const BatchClaims = z.strictObject({
  iss: MerchantId,
  aud: z.string().min(1).max(255),
  bid: BatchId,
  cur: Currency,
  win: z.string().min(1).max(128),
  lines: z.array(BatchLine).max(20000),
  iat: Seconds,
  exp: Seconds,
});
export type BatchClaims = z.infer<typeof BatchClaims>;

export const StatementLine = z.strictObject({
  tab: z.string().max(64),
  seq: z.number().int().nonnegative(),
  cum: WireAmount,
  paid: WireAmount,
  status: z.enum(["accepted", "refused"]),
  code: z.string().max(64).optional(),
});
export type StatementLine = z.infer<typeof StatementLine>;
export const StatementClaims = z.strictObject({
  iss: z.string().min(1).max(255),
  aud: MerchantId,
  bid: BatchId,
  cur: Currency,
  lines: z.array(StatementLine),
  gross: WireAmount,
  carry_in: WireAmount,
  payout: WireAmount,
  carry_out: WireAmount,
  iat: Seconds,
  exp: Seconds,
});
export type StatementClaims = z.infer<typeof StatementClaims>;

export const RequestClaims = z.strictObject({
  wal: WalletId.optional(),
  htm: z.enum(["GET", "POST", "PUT", "DELETE"]),
  htu: z.string().min(1).max(2048),
  bh: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  jti: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  iat: Seconds,
  exp: Seconds,
});
export type RequestClaims = z.infer<typeof RequestClaims>;

/** What a merchant sells for one resource, as the offers endpoint and the 402 body list it. */
export const Offer = z.strictObject({
  id: Name,
  kind: z.enum(["unlock", "pass", "api"]),
  title: z.string().min(1).max(200),
  price: PositiveAmount,
  currency: Currency,
  display: z.string().max(64),
  resource: Name.optional(),
  scope: Name.optional(),
  duration_s: z.number().int().positive().max(31_536_000).optional(),
});
export type Offer = z.infer<typeof Offer>;

export const OffersResponse = z.strictObject({
  merchant: MerchantId,
  resource: Name,
  offers: z.array(Offer).max(32),
});
export type OffersResponse = z.infer<typeof OffersResponse>;
