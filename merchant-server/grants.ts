import { fail, OpenTabError } from "../shared/errors";
import { randomId } from "../shared/ids";
import type { KeyPair } from "../shared/keys";
import type { GrantClaims } from "../shared/schemas";
import type { SignatureEngine } from "../shared/tokens/types";
import { verifyToken } from "../shared/tokens/verify";

export type GrantTarget = { res: string; scp?: never } | { scp: string; res?: never };

/**
 * Grants are the merchant's own tokens (protocol §2.3): only this merchant signs and verifies
 * them, so they need no issuer and stay valid while the issuer is away.
 */
export class Grants {
  /** `signer` signs with `key` elsewhere (the receipt thread); `engine` verifies here. */
  constructor(
    private readonly key: KeyPair,
    private readonly merchant: string,
    private readonly engine: SignatureEngine,
    private readonly signer: (claims: GrantClaims) => Promise<string>,
  ) {}

  /** The claims of a grant this merchant issues now; `sign` signs them. */
  claims(grant: { tab: string; off: string; exp: number } & GrantTarget, now: number): GrantClaims {
    return { iss: this.merchant, aud: this.merchant, jti: randomId("gr"), iat: now, ...grant };
  }

  sign(claims: GrantClaims): Promise<string> {
    return this.signer(claims);
  }

  async verify(token: string, now: number): Promise<GrantClaims> {
    const key = (kid: string) => (kid === this.key.kid ? this.key.publicKey : undefined);
    try {
      const { claims } = await verifyToken("grant", token, {
        key,
        audience: this.merchant,
        at: now,
        engine: this.engine,
      });
      if (claims.iss !== this.merchant) fail("grant_invalid", "grant is from another merchant");
      return claims;
    } catch (e: unknown) {
      if (!(e instanceof OpenTabError)) throw e;
      if (e.code === "token_expired") fail("grant_expired", "grant has expired; pay again");
      if (e.code === "grant_invalid") throw e;
      return fail("grant_invalid", "grant is not valid here");
    }
  }
}
