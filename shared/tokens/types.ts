import type { z } from "zod";
import {
  BatchClaims,
  CertificateClaims,
  GrantClaims,
  ReceiptClaims,
  RequestClaims,
  StatementClaims,
} from "../schemas";

/** Each token has its own `typ`, so one kind can never be replayed as another. */
export const tokenKinds = {
  certificate: { typ: "opentab-cert+jwt", schema: CertificateClaims, maxBytes: 4096 },
  receipt: { typ: "opentab-receipt+jwt", schema: ReceiptClaims, maxBytes: 4096 },
  grant: { typ: "opentab-grant+jwt", schema: GrantClaims, maxBytes: 4096 },
  request: { typ: "opentab-req+jwt", schema: RequestClaims, maxBytes: 4096 },
  // A batch carries one receipt per tab, up to 10,000 of them (docs/protocol.md, "Settlement").
  batch: { typ: "opentab-batch+jwt", schema: BatchClaims, maxBytes: 16 * 1024 * 1024 },
  statement: { typ: "opentab-statement+jwt", schema: StatementClaims, maxBytes: 16 * 1024 * 1024 },
} as const;

export type TokenKind = keyof typeof tokenKinds;
export type ClaimsOf<K extends TokenKind> = z.infer<(typeof tokenKinds)[K]["schema"]>;

export const ALGORITHM = "ES256";
export const CLOCK_TOLERANCE_S = 30;

/**
 * Computes ES256 over a JWS signing input. Parties default to jose over WebCrypto, which every
 * runtime has; a Node service may supply node:crypto on libuv's thread pool instead, so its
 * event loop is not held by the curve arithmetic. Signatures are IEEE P1363 (r || s, 64 bytes).
 */
export interface SignatureEngine {
  sign(signingInput: string, key: CryptoKey): Promise<Uint8Array>;
  verify(signingInput: string, signature: Uint8Array, key: CryptoKey): Promise<boolean>;
}
