/**
 * Every refusal in OpenTab carries one of these codes. The HTTP status each maps to is part of
 * the wire contract (docs/protocol.md, "Error codes"); clients branch on the code, never on text.
 */
export const errorStatus = {
  // request shape
  invalid_json: 400,
  invalid_body: 400,
  invalid_request: 400,
  unsupported_media_type: 415,
  body_too_large: 413,
  not_found: 404,
  method_not_allowed: 405,
  internal_error: 500,
  // money
  amount_invalid: 400,
  currency_unknown: 400,
  currency_mismatch: 422,
  // tokens
  token_malformed: 400,
  token_too_large: 400,
  token_alg_not_allowed: 401,
  token_header_invalid: 401,
  token_typ_invalid: 401,
  token_key_unknown: 401,
  token_signature_invalid: 401,
  signature_not_canonical: 401,
  token_expired: 401,
  token_issued_in_future: 401,
  token_claims_invalid: 401,
  token_audience_invalid: 401,
  // receipt rules
  merchant_mismatch: 422,
  origin_mismatch: 422,
  offer_unknown: 404,
  price_mismatch: 422,
  seq_out_of_order: 409,
  seq_reused: 409,
  cum_mismatch: 422,
  tab_limit_exceeded: 422,
  certificate_expired: 422,
  receipt_key_mismatch: 401,
  receipt_stale: 422,
  // wallet requests to the issuer
  request_unsigned: 401,
  request_signature_invalid: 401,
  request_stale: 401,
  request_replayed: 401,
  request_body_mismatch: 401,
  wallet_unknown: 401,
  wallet_exists: 409,
  recovery_code_invalid: 401,
  // issuer business rules
  insufficient_funds: 402,
  topup_disabled: 403,
  merchant_unknown: 404,
  merchant_exists: 409,
  tab_unknown: 404,
  tab_closed: 409,
  tab_limit_lower: 422,
  settlement_too_late: 422,
  batch_conflict: 409,
  batch_too_large: 413,
  // merchant server
  payment_required: 402,
  resource_unknown: 404,
  grant_invalid: 403,
  grant_expired: 403,
  issuer_keys_unavailable: 503,
  issuer_unavailable: 503,
  admin_token_invalid: 401,
  handler_failed: 502,
  // wallet (extension and agent), never sent by a server
  wallet_not_ready: 409,
  payment_declined: 402,
  daily_cap_reached: 402,
  approval_timeout: 408,
  merchant_unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof errorStatus;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(errorStatus, value);
}

/** The one error type of the protocol: a stable code plus an exact, human-readable message. */
export class OpenTabError extends Error {
  override readonly name = "OpenTabError";
  readonly code: ErrorCode;
  /** Extra, non-secret facts a client can act on (e.g. the tab's current state on a seq gap). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorStatus[this.code];
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    const error = { code: this.code, message: this.message };
    return this.details ? { error: { ...error, details: this.details } } : { error };
  }
}

export function fail(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new OpenTabError(code, message, details);
}
