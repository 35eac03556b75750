import { z } from "zod";
import {
  Currency,
  MerchantId,
  Origin,
  PositiveAmount,
  PublicJwk,
  Seconds,
  TabId,
  Token,
  WalletId,
  WireAmount,
} from "./schemas";

/**
 * Request and reply bodies of the issuer's HTTP API (docs/protocol.md §3). Both the issuer and
 * its clients check what crosses the wire against these; the wire is snake_case.
 */

export const RecoveryCode = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/);

export const IssuerJwk = z.strictObject({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  kid: z.string().min(1).max(64),
  alg: z.literal("ES256"),
  use: z.literal("sig"),
});
export type IssuerJwk = z.infer<typeof IssuerJwk>;
export const JwksReply = z.strictObject({ keys: z.array(IssuerJwk).max(64) });

export const MerchantRecord = z.strictObject({
  id: MerchantId,
  name: z.string().min(1).max(200),
  origins: z.array(Origin).min(1).max(32),
  server: z.url().max(255),
  currency: Currency,
});
export type MerchantRecord = z.infer<typeof MerchantRecord>;

export const MerchantRegistration = MerchantRecord.extend({
  keys: z.array(PublicJwk).min(1).max(16),
  payout_account: z.string().min(1).max(200),
});
export type MerchantRegistration = z.infer<typeof MerchantRegistration>;

export const RegisterBody = z.strictObject({ key: PublicJwk });
export const RecoverBody = z.strictObject({ key: PublicJwk, recovery_code: RecoveryCode });
export const WalletReply = z.strictObject({ wallet: WalletId, recovery_code: RecoveryCode });

export const TopUpBody = z.strictObject({ amount: PositiveAmount, currency: Currency });
export const TopUpReply = z.strictObject({
  topup: z.string().min(1).max(64),
  amount: PositiveAmount,
  currency: Currency,
  test_money: z.literal(true),
  balance: WireAmount,
});

export const OpenTabBody = z.strictObject({
  merchant: MerchantId,
  key: PublicJwk,
  limit: PositiveAmount,
  currency: Currency,
});
export const OpenTabReply = z.strictObject({
  tab: TabId,
  certificate: Token,
  limit: PositiveAmount,
  expires_at: Seconds,
});

export const RaiseLimitBody = z.strictObject({ limit: PositiveAmount });
export const RaiseLimitReply = z.strictObject({
  tab: TabId,
  certificate: Token,
  limit: PositiveAmount,
});

export const CloseTabBody = z.strictObject({});
export const CloseTabReply = z.strictObject({ tab: TabId, status: z.literal("closing") });

export const SettleBody = z.strictObject({
  batch: z
    .string()
    .min(1)
    .max(16 * 1024 * 1024),
});
export const SettleReply = z.strictObject({
  statement: z
    .string()
    .min(1)
    .max(16 * 1024 * 1024),
});

export const TabStatus = z.enum(["open", "closing", "closed"]);
export type TabStatus = z.infer<typeof TabStatus>;
export const MovementKind = z.enum(["topup", "reserve", "release", "settle"]);
export type MovementKind = z.infer<typeof MovementKind>;

export const WalletStatementWire = z.strictObject({
  wallet: WalletId,
  balances: z.array(
    z.strictObject({
      currency: Currency,
      available: WireAmount,
      reserved: WireAmount,
      spent: WireAmount,
      test_money: z.boolean(),
    }),
  ),
  tabs: z.array(
    z.strictObject({
      tab: TabId,
      merchant: MerchantId,
      currency: Currency,
      limit: WireAmount,
      settled: WireAmount,
      status: TabStatus,
      expires_at: Seconds,
    }),
  ),
  movements: z.array(
    z.strictObject({
      at: Seconds,
      kind: MovementKind,
      amount: WireAmount,
      currency: Currency,
      tab: TabId.optional(),
    }),
  ),
});
export type WalletStatementWire = z.infer<typeof WalletStatementWire>;

export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.string().max(64),
    message: z.string().max(2000),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
