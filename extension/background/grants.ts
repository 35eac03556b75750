import type { GrantView } from "../shared/messages";
import type { GrantRow, WalletDb } from "./db";
import type { Clock } from "./ports";

/**
 * Grants the merchants signed: kept and presented again, so a reload or another article under
 * a pass never charges twice. The wallet cannot verify them (only their merchant can), so it
 * trusts its own record of what it bought and each grant's expiry.
 */
export class GrantService {
  constructor(
    private readonly db: WalletDb,
    private readonly clock: Clock,
  ) {}

  /** A live grant for the resource itself, or for one of the pass scopes that cover it. */
  async held(merchant: string, resource: string, scopes: string[]): Promise<GrantRow | undefined> {
    const now = this.clock();
    const live = (g: GrantRow) => g.expiresAt > now;

    const direct = await this.db.grants
      .where("[merchant+resource]")
      .equals([merchant, resource])
      .filter(live)
      .first();
    if (direct) return direct;

    if (scopes.length === 0) return undefined;
    return this.db.grants
      .where("[merchant+scope]")
      .anyOf(scopes.map((scope) => [merchant, scope]))
      .filter(live)
      .first();
  }

  async forMerchant(merchant: string): Promise<GrantRow[]> {
    const now = this.clock();
    const rows = await this.db.grants.where("expiresAt").above(now).toArray();
    return rows.filter((g) => g.merchant === merchant);
  }

  async activePasses(): Promise<GrantRow[]> {
    const rows = await this.db.grants.where("expiresAt").above(this.clock()).toArray();
    return rows.filter((g) => g.scope !== undefined);
  }
}

export function grantView(row: GrantRow): GrantView {
  const view: GrantView = {
    merchant: row.merchant,
    offer: row.offer,
    title: row.title,
    expiresAt: row.expiresAt,
  };
  if (row.resource !== undefined) view.resource = row.resource;
  if (row.scope !== undefined) view.scope = row.scope;
  return view;
}
