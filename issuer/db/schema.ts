/**
 * The issuer's tables. Uniqueness that protects money (request nonces, tab ids, batch ids,
 * wallet keys) is a constraint here, never a check in memory. Amounts are BIGINT micro-units.
 */
export function schemaFor(kind: "sqlite" | "postgres"): string {
  const identity =
    kind === "sqlite"
      ? "INTEGER PRIMARY KEY AUTOINCREMENT"
      : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
  return `
CREATE TABLE IF NOT EXISTS wallets (
  id TEXT PRIMARY KEY,
  kid TEXT NOT NULL UNIQUE,
  jwk TEXT NOT NULL,
  recovery_salt TEXT NOT NULL,
  recovery_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
  jti TEXT PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS merchants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  origins TEXT NOT NULL,
  server TEXT NOT NULL,
  currency TEXT NOT NULL,
  payout_account TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS merchant_keys (
  merchant TEXT NOT NULL REFERENCES merchants (id),
  kid TEXT NOT NULL,
  jwk TEXT NOT NULL,
  PRIMARY KEY (merchant, kid)
);
CREATE TABLE IF NOT EXISTS tabs (
  id TEXT PRIMARY KEY,
  wallet TEXT NOT NULL REFERENCES wallets (id),
  merchant TEXT NOT NULL REFERENCES merchants (id),
  currency TEXT NOT NULL,
  tab_kid TEXT NOT NULL,
  tab_jwk TEXT NOT NULL,
  lim BIGINT NOT NULL CHECK (lim > 0),
  settled BIGINT NOT NULL DEFAULT 0 CHECK (settled >= 0 AND settled <= lim),
  status TEXT NOT NULL CHECK (status IN ('open', 'closing', 'closed')),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  closed_at BIGINT
);
CREATE INDEX IF NOT EXISTS tabs_wallet ON tabs (wallet);
CREATE INDEX IF NOT EXISTS tabs_release ON tabs (status, expires_at);
CREATE INDEX IF NOT EXISTS tabs_closing ON tabs (merchant, currency, status);
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY,
  balance BIGINT NOT NULL CHECK (balance >= 0 OR id LIKE 'funding:%')
);
CREATE TABLE IF NOT EXISTS transfers (
  seq ${identity},
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  wallet TEXT,
  merchant TEXT,
  tab TEXT,
  currency TEXT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount >= 0),
  funding TEXT,
  at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS transfers_wallet ON transfers (wallet, seq);
CREATE TABLE IF NOT EXISTS entries (
  transfer TEXT NOT NULL REFERENCES transfers (id),
  account TEXT NOT NULL,
  amount BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_account ON entries (account);
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  merchant TEXT NOT NULL REFERENCES merchants (id),
  currency TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  statement TEXT,
  created_at BIGINT NOT NULL
);
`;
}
