import { fail } from "../../shared/errors";
import { PublicJwk } from "../../shared/schemas";
import { type Sql, text } from "../db/types";

export interface WalletRecord {
  id: string;
  kid: string;
  jwk: PublicJwk;
}

export interface WalletKey {
  kid: string;
  jwk: PublicJwk;
  /** Salt and scrypt hash of the recovery code (recovery.ts); the code itself is never stored. */
  recoverySalt: string;
  recoveryHash: string;
}

export async function createWallet(
  sql: Sql,
  id: string,
  key: WalletKey,
  at: number,
): Promise<void> {
  const changed = await sql.run(
    "INSERT INTO wallets (id, kid, jwk, recovery_salt, recovery_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    [id, key.kid, JSON.stringify(key.jwk), key.recoverySalt, key.recoveryHash, at],
  );
  if (changed === 0) fail("wallet_exists", "this key already belongs to a wallet");
}

export async function walletById(sql: Sql, id: string): Promise<WalletRecord | undefined> {
  const [row] = await sql.all("SELECT id, kid, jwk FROM wallets WHERE id = ?", [id]);
  if (!row) return undefined;
  return { id: text(row.id), kid: text(row.kid), jwk: PublicJwk.parse(JSON.parse(text(row.jwk))) };
}

export async function walletSecret(
  sql: Sql,
  id: string,
): Promise<{ salt: string; hash: string } | undefined> {
  const [row] = await sql.all("SELECT recovery_salt, recovery_hash FROM wallets WHERE id = ?", [
    id,
  ]);
  return row ? { salt: text(row.recovery_salt), hash: text(row.recovery_hash) } : undefined;
}

/**
 * Moves a wallet to a new key and recovery code, but only if the code it was checked against
 * is still the current one: of two recoveries racing with one code, exactly one wins.
 */
export async function replaceWalletKey(
  sql: Sql,
  id: string,
  checkedHash: string,
  key: WalletKey,
): Promise<void> {
  const [taken] = await sql.all("SELECT id FROM wallets WHERE kid = ?", [key.kid]);
  if (taken) fail("wallet_exists", "this key already belongs to a wallet");
  const changed = await sql.run(
    "UPDATE wallets SET kid = ?, jwk = ?, recovery_salt = ?, recovery_hash = ? WHERE id = ? AND recovery_hash = ?",
    [key.kid, JSON.stringify(key.jwk), key.recoverySalt, key.recoveryHash, id, checkedHash],
  );
  if (changed === 0) fail("recovery_code_invalid", "the recovery code is not valid");
}

/** Remembers a request nonce; false when it was seen before (a replay). */
export async function useNonce(sql: Sql, jti: string, expiresAt: number): Promise<boolean> {
  const changed = await sql.run(
    "INSERT INTO nonces (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
    [jti, expiresAt],
  );
  return changed === 1;
}

export function pruneNonces(sql: Sql, now: number): Promise<number> {
  return sql.run("DELETE FROM nonces WHERE expires_at < ?", [now]);
}
