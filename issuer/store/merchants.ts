import { z } from "zod";
import { fail } from "../../shared/errors";
import type { MerchantRecord } from "../../shared/issuer-api";
import { PublicJwk } from "../../shared/schemas";
import { type Sql, text } from "../db/types";

export interface MerchantEntry extends MerchantRecord {
  payoutAccount: string;
}

export interface MerchantKey {
  kid: string;
  jwk: PublicJwk;
}

const Origins = z.array(z.string());

export async function addMerchant(
  sql: Sql,
  merchant: MerchantEntry,
  keys: MerchantKey[],
  at: number,
): Promise<void> {
  const changed = await sql.run(
    "INSERT INTO merchants (id, name, origins, server, currency, payout_account, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    [
      merchant.id,
      merchant.name,
      JSON.stringify(merchant.origins),
      merchant.server,
      merchant.currency,
      merchant.payoutAccount,
      at,
    ],
  );
  if (changed === 0) fail("merchant_exists", `merchant ${merchant.id} is already registered`);
  for (const key of keys) {
    await sql.run(
      "INSERT INTO merchant_keys (merchant, kid, jwk) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      [merchant.id, key.kid, JSON.stringify(key.jwk)],
    );
  }
}

export async function merchantById(sql: Sql, id: string): Promise<MerchantEntry | undefined> {
  const [row] = await sql.all(
    "SELECT id, name, origins, server, currency, payout_account FROM merchants WHERE id = ?",
    [id],
  );
  if (!row) return undefined;
  return {
    id: text(row.id),
    name: text(row.name),
    origins: Origins.parse(JSON.parse(text(row.origins))),
    server: text(row.server),
    currency: text(row.currency),
    payoutAccount: text(row.payout_account),
  };
}

export async function merchantKeys(sql: Sql, id: string): Promise<MerchantKey[]> {
  const rows = await sql.all("SELECT kid, jwk FROM merchant_keys WHERE merchant = ?", [id]);
  return rows.map((row) => ({
    kid: text(row.kid),
    jwk: PublicJwk.parse(JSON.parse(text(row.jwk))),
  }));
}
