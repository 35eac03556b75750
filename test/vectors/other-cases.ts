import type { ErrorCode } from "../../shared/errors";
import { batchId, sha256 } from "../../shared/ids";
import type { GrantClaims, RequestClaims, StatementClaims } from "../../shared/schemas";
import { signToken } from "../../shared/tokens/sign";
import {
  certificate,
  header,
  ISSUER_URL,
  MERCHANT,
  NOW,
  OTHER_MERCHANT,
  receipt,
  TAB_A,
} from "./fixtures";
import { editClaims, highS, signRaw } from "./forge";
import type { Vector } from "./format";
import type { TestKey, TestKeys } from "./keys";

type Expect = ErrorCode | "accept";
const DAY = 86400;

function signed(kind: "grant" | "batch" | "statement", trusted: TestKey, audience: string) {
  return (name: string, description: string, expect: Expect, token: string): Vector => ({
    name,
    description,
    kind,
    tokens: { token },
    context: { trusted: [trusted.kid], audience, now: NOW },
    expect,
  });
}

/** Grants a merchant issued and verifies again when the wallet presents them. */
export async function grantVectors(keys: TestKeys): Promise<Vector[]> {
  const vector = signed("grant", keys.merchant, MERCHANT);
  const unlock: GrantClaims = {
    iss: MERCHANT,
    aud: MERCHANT,
    jti: "grt_VectorGrant0001",
    tab: TAB_A,
    off: "moon-landing",
    res: "moon-landing",
    iat: NOW - 10,
    exp: NOW - 10 + 365 * DAY,
  };
  const grant = (claims: Partial<GrantClaims>, key: TestKey = keys.merchant) =>
    signToken("grant", { ...unlock, ...claims }, key);
  const pass = { off: "day-pass", res: undefined, scp: "all-articles", exp: NOW + DAY };

  return [
    vector("grant-unlock", "A grant for one unlocked resource.", "accept", await grant({})),
    vector("grant-pass", "A day pass: a scope instead of a resource.", "accept", await grant(pass)),
    vector(
      "grant-for-other-merchant",
      "A grant another merchant issued to itself (aud), presented here.",
      "token_audience_invalid",
      await grant({ iss: OTHER_MERCHANT, aud: OTHER_MERCHANT }),
    ),
    vector(
      "grant-expired",
      "A pass that ended a minute ago.",
      "token_expired",
      await grant({ ...pass, iat: NOW - DAY, exp: NOW - 60 }),
    ),
    vector(
      "grant-resource-and-scope",
      "Signed with both res and scp; a grant opens exactly one.",
      "token_claims_invalid",
      await signRaw(
        header("grant", keys.merchant),
        { ...unlock, scp: "all-articles" },
        keys.merchant.privateKey,
      ),
    ),
    vector(
      "grant-other-key",
      "A grant signed by a key the merchant never held.",
      "token_key_unknown",
      await grant({}, keys.merchantRogue),
    ),
    vector(
      "grant-receipt-in-its-place",
      "A receipt presented as a grant.",
      "token_typ_invalid",
      await receipt(keys),
    ),
  ];
}

/** Settlement batches as the issuer receives them from a merchant. */
export async function batchVectors(keys: TestKeys): Promise<Vector[]> {
  const vector = signed("batch", keys.merchant, ISSUER_URL);
  const win = "2026-12-03T00:00:00Z/2026-12-04T00:00:00Z#0";
  const claims = {
    iss: MERCHANT,
    aud: ISSUER_URL,
    bid: await batchId(MERCHANT, "USD", win),
    cur: "USD",
    win,
    lines: [{ certificate: await certificate(keys), receipt: await receipt(keys) }],
    iat: NOW,
    exp: NOW + DAY,
  };
  const valid = await signToken("batch", claims, keys.merchant);

  return [
    vector(
      "batch-valid",
      "One line: the newest receipt of tab A and its certificate.",
      "accept",
      valid,
    ),
    vector(
      "batch-for-other-issuer",
      "A batch addressed to another issuer.",
      "token_audience_invalid",
      await signToken("batch", { ...claims, aud: "https://other-issuer.example" }, keys.merchant),
    ),
    vector(
      "batch-high-s",
      "The valid batch with a high-s signature.",
      "signature_not_canonical",
      highS(valid),
    ),
    vector(
      "batch-lines-swapped-after-signing",
      "The lines emptied after signing, signature kept.",
      "token_signature_invalid",
      editClaims(valid, (c) => {
        c.lines = [];
      }),
    ),
  ];
}

/** Statements as the merchant receives them from the issuer. */
export async function statementVectors(keys: TestKeys): Promise<Vector[]> {
  const vector = signed("statement", keys.issuer, MERCHANT);
  const bid = await batchId(MERCHANT, "USD", "2026-12-03T00:00:00Z/2026-12-04T00:00:00Z#0");
  const claims: StatementClaims = {
    iss: ISSUER_URL,
    aud: MERCHANT,
    bid,
    cur: "USD",
    lines: [
      { tab: TAB_A, seq: 3, cum: "752500", paid: "752500", status: "accepted" },
      {
        tab: "tab_VectorTabB000000000000",
        seq: 1,
        cum: "0",
        paid: "0",
        status: "refused",
        code: "settlement_too_late",
      },
    ],
    gross: "752500",
    carry_in: "0",
    payout: "750000",
    carry_out: "2500",
    iat: NOW,
    exp: NOW + 400 * DAY,
  };
  const issuerHeader = header("statement", keys.issuer);

  return [
    vector(
      "statement-valid",
      "One accepted and one refused line; the sub-cent 2500 is carried out.",
      "accept",
      await signToken("statement", claims, keys.issuer),
    ),
    vector(
      "statement-for-other-merchant",
      "A statement addressed to another merchant.",
      "token_audience_invalid",
      await signToken("statement", { ...claims, aud: OTHER_MERCHANT }, keys.issuer),
    ),
    vector(
      "statement-payout-exponent",
      'Signed with payout "7.5e5".',
      "amount_invalid",
      await signRaw(issuerHeader, { ...claims, payout: "7.5e5" }, keys.issuer.privateKey),
    ),
    vector(
      "statement-unknown-crit",
      "Header marks an unknown extension as critical.",
      "token_header_invalid",
      await signRaw({ ...issuerHeader, crit: ["x-fast"] }, claims, keys.issuer.privateKey),
    ),
    vector(
      "statement-other-key-claiming-issuer-kid",
      "Signed by a rogue key that names the issuer's thumbprint.",
      "token_signature_invalid",
      await signRaw(issuerHeader, claims, keys.issuerRogue.privateKey),
    ),
  ];
}

/** Wallet requests to the issuer: verifyToken, then checkRequestBinding (shared/request.ts). */
export async function requestVectors(keys: TestKeys): Promise<Vector[]> {
  const body = JSON.stringify({ limit: "10000000" });
  const path = `/v1/tabs/${TAB_A}/limit`;
  const claims = async (
    overrides: Partial<RequestClaims>,
    sent = body,
  ): Promise<RequestClaims> => ({
    wal: "wal_VectorWallet0000000000",
    htm: "POST",
    htu: path,
    bh: await sha256(sent),
    jti: "VectorRequestNonce0001",
    iat: NOW - 5,
    exp: NOW + 55,
    ...overrides,
  });
  const token = async (overrides: Partial<RequestClaims> = {}, key: TestKey = keys.wallet) =>
    signToken("request", await claims(overrides), key);
  const vector = (
    name: string,
    description: string,
    expect: Expect,
    signedToken: string,
    request = { method: "POST", path, body },
  ): Vector => ({
    name,
    description,
    kind: "request",
    tokens: { token: signedToken },
    context: { trusted: [keys.wallet.kid], now: NOW, request },
    expect,
  });
  const valid = await token();

  return [
    vector("request-raise-limit", "A signed POST raising a tab's limit.", "accept", valid),
    vector(
      "request-get-statement",
      "A signed GET: the body hash is that of the empty string.",
      "accept",
      await signToken("request", await claims({ htm: "GET", htu: "/v1/wallet" }, ""), keys.wallet),
      { method: "GET", path: "/v1/wallet", body: "" },
    ),
    vector(
      "request-body-swapped",
      "The signed token sent with a higher limit in the body.",
      "request_body_mismatch",
      valid,
      { method: "POST", path, body: JSON.stringify({ limit: "90000000" }) },
    ),
    vector(
      "request-other-path",
      "The token signed for raising a limit, replayed against closing the tab.",
      "request_signature_invalid",
      valid,
      { method: "POST", path: `/v1/tabs/${TAB_A}/close`, body },
    ),
    vector(
      "request-stale",
      "iat 200 s ago with a far exp: older than the 90 s request window.",
      "request_stale",
      await token({ iat: NOW - 200, exp: NOW + 600 }),
    ),
    vector(
      "request-expired",
      "exp 40 s ago.",
      "token_expired",
      await token({ iat: NOW - 100, exp: NOW - 40 }),
    ),
    vector(
      "request-other-wallet-key",
      "Signed by a key this wallet never registered.",
      "token_key_unknown",
      await token({}, keys.walletOther),
    ),
    vector(
      "request-high-s",
      "The valid request with a high-s signature.",
      "signature_not_canonical",
      highS(valid),
    ),
  ];
}
