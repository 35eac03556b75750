import type { WalletAuth, WalletStatement } from "../../issuer/client";
import { fail } from "../../shared/errors";
import { generateSigningKey } from "../../shared/keys";
import { createLogger } from "../shared/logger";
import type { WalletStatus } from "../shared/messages";
import type { WalletDb, WalletRow } from "./db";
import type { Clients, Clock } from "./ports";
import type { SettingsService } from "./settings";

const log = createLogger("wallet");

/** The reader's identity at the issuer: create, restore, fund, and the signed-request auth. */
export class WalletService {
  constructor(
    private readonly db: WalletDb,
    private readonly settings: SettingsService,
    private readonly clients: Clients,
    private readonly clock: Clock,
  ) {}

  async status(): Promise<WalletStatus> {
    const row = await this.db.wallet.get("self");
    const { issuer } = await this.settings.get();
    if (!row) return { ready: false, issuer, recoveryConfirmed: false };
    return { ready: true, wallet: row.wallet, issuer, recoveryConfirmed: row.recoveryConfirmed };
  }

  /**
   * Registers a fresh non-extractable identity key. The recovery code is handed back once, to
   * be shown to the reader, and is never stored.
   */
  async create(): Promise<{ wallet: string; recoveryCode: string }> {
    if (await this.db.wallet.get("self"))
      fail("wallet_exists", "this browser already has a wallet");

    const { issuer } = await this.settings.get();
    const key = await generateSigningKey(false);
    const { wallet, recoveryCode } = await this.clients.issuer(issuer).register(key);
    await this.store({ wallet, key, recoveryConfirmed: false });
    log.info("wallet_created", { wallet });
    return { wallet, recoveryCode };
  }

  /**
   * Takes a wallet over with its recovery code: a new identity key replaces the old one at the
   * issuer, which stops accepting the old key and code and hands out a fresh code.
   */
  async restore(recoveryCode: string): Promise<{ wallet: string; recoveryCode: string }> {
    const { issuer } = await this.settings.get();
    const key = await generateSigningKey(false);
    const restored = await this.clients.issuer(issuer).recover(key, recoveryCode);
    await this.store({ wallet: restored.wallet, key, recoveryConfirmed: false });
    log.info("wallet_restored", { wallet: restored.wallet });
    return restored;
  }

  async confirmRecovery(): Promise<WalletStatus> {
    const updated = await this.db.wallet.update("self", { recoveryConfirmed: true });
    if (updated === 0) fail("wallet_not_ready", "create or restore a wallet first");
    return this.status();
  }

  async topUp(amount: bigint, currency: string): Promise<bigint> {
    const { issuer, auth } = await this.auth();
    const { balance } = await this.clients.issuer(issuer).topUp(auth, amount, currency);
    return balance;
  }

  async statement(): Promise<WalletStatement> {
    const { issuer, auth } = await this.auth();
    return this.clients.issuer(issuer).statement(auth);
  }

  /**
   * The wallet's signing identity and the issuer (from the options); wallet_not_ready without one.
   */
  async auth(): Promise<{ issuer: string; auth: WalletAuth }> {
    const row = await this.db.wallet.get("self");
    if (!row) fail("wallet_not_ready", "create or restore a wallet first");
    const { issuer } = await this.settings.get();
    return { issuer, auth: { wallet: row.wallet, key: row.key } };
  }

  private async store(row: Omit<WalletRow, "id" | "createdAt">): Promise<void> {
    await this.db.wallet.put({ id: "self", createdAt: this.clock(), ...row });
  }
}
