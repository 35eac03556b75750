import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * The demo's admin tokens, made on first start and kept in the data directory (owner-only) so
 * a restart talks to the same issuer and merchants. They are never printed.
 */

const AdminToken = z.string().regex(/^[A-Za-z0-9_-]{32,}$/);
const Secrets = z.strictObject({
  issuerAdminToken: AdminToken,
  merchantAdminTokens: z.record(z.string(), AdminToken),
});
export type Secrets = z.infer<typeof Secrets>;

const newToken = () => randomBytes(24).toString("base64url");

export function loadSecrets(dataDir: string, merchants: string[]): Secrets {
  const path = join(dataDir, "demo-secrets.json");
  const stored = existsSync(path)
    ? Secrets.parse(JSON.parse(readFileSync(path, "utf8")))
    : { issuerAdminToken: newToken(), merchantAdminTokens: {} };
  const missing = merchants.filter((m) => !stored.merchantAdminTokens[m]);
  for (const merchant of missing) stored.merchantAdminTokens[merchant] = newToken();
  if (missing.length > 0 || !existsSync(path)) {
    writeFileSync(path, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  return stored;
}
