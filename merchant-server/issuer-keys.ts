import type { IssuerClient } from "../issuer/client";
import type { Logger } from "../service/logger";
import { fail } from "../shared/errors";
import { importPublicKey, thumbprint } from "../shared/keys";
import type { KeyResolver } from "../shared/tokens/verify";

/**
 * The issuer keys this merchant trusts: the issuer's published JWKS, filtered to the configured
 * thumbprints (a key is trusted because the operator named it, never because the issuer's
 * server lists it). Fails closed: until a refresh succeeds with at least one trusted key, and
 * whenever the latest refresh failed, nothing is verified and payments answer 503.
 */
export class IssuerKeys {
  #keys = new Map<string, CryptoKey>();
  #healthy = false;
  #timer: NodeJS.Timeout | undefined;
  /** Called when the trusted set changes, so caches of verified certificates can be dropped. */
  onChange: () => void = () => undefined;

  constructor(
    private readonly issuer: IssuerClient,
    private readonly trusted: readonly string[],
    private readonly logger: Logger,
  ) {}

  get available(): boolean {
    return this.#healthy && this.#keys.size > 0;
  }

  /** Resolves a kid for token verification; refuses everything while keys are unavailable. */
  readonly resolve: KeyResolver = (kid) => {
    this.require();
    return this.#keys.get(kid);
  };

  require(): void {
    if (!this.available) {
      fail("issuer_keys_unavailable", "the issuer's signing keys are not loaded; try again later");
    }
  }

  async refresh(): Promise<void> {
    try {
      const { keys } = await this.issuer.jwks();
      const next = new Map<string, CryptoKey>();
      for (const jwk of keys) {
        const { kty, crv, x, y } = jwk;
        const kid = await thumbprint({ kty, crv, x, y });
        if (this.trusted.includes(kid)) next.set(kid, await importPublicKey({ kty, crv, x, y }));
      }
      const changed = [...next.keys()].sort().join() !== [...this.#keys.keys()].sort().join();
      this.#keys = next;
      this.#healthy = true;
      if (changed) this.onChange();
      if (next.size === 0) this.logger.error("issuer publishes none of the trusted keys");
    } catch (e: unknown) {
      this.#healthy = false;
      this.logger.error({ err: e instanceof Error ? e.message : String(e) }, "issuer keys failed");
    }
  }

  startRefreshing(everySeconds: number): void {
    this.#timer = setInterval(() => void this.refresh(), everySeconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
