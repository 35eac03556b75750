/**
 * What the merchant server keeps: per tab the last accepted receipt and the highest-limit
 * certificate; every accepted receipt (with the grant it earned); settlement batches with
 * their lines and the issuer's statement. SQLite and PostgreSQL implement the same contract.
 */

export interface StoredTab {
  tab: string;
  currency: string;
  seq: number;
  cum: bigint;
  limit: bigint;
}

export interface StoredReceipt {
  payloadHash: string;
  grant: string;
}

/** A receipt's tab keeps its highest-limit certificate; a lower or equal one changes nothing. */
export interface CertificateRecord {
  limit: bigint;
  token: string;
}

export interface AcceptedReceipt {
  /**
   * Stored unless a certificate with a limit at least as high is known to be stored already
   * (the tab's row exists then too); absent, the receipt carries none of its ~1 KB again.
   */
  certificate?: CertificateRecord;
  tab: string;
  currency: string;
  seq: number;
  /** The tab's seq before this receipt: the row is updated only if it still holds this. */
  prevSeq: number;
  amt: bigint;
  cum: bigint;
  offer: string;
  resource: string;
  payloadHash: string;
  token: string;
  grant: string;
  /** Milliseconds since the epoch. */
  acceptedAt: number;
}

/** "conflict": another request moved the tab first; the caller re-reads and decides. */
export type CommitOutcome = "committed" | "conflict";

export interface BatchLine {
  tab: string;
  seq: number;
  cum: bigint;
  /** What the merchant accepted on this tab since its previous batch: Σ amt of its receipts. */
  accepted: bigint;
  certificate: string;
  receipt: string;
}

export interface WindowClaim {
  currency: string;
  /** Receipts accepted before this moment (ms), not yet in a batch, are claimed. */
  end: number;
  /** The window label without its part: `<start ISO>/<end ISO>`. */
  window: string;
  windowEnd: number;
  /** The batch id of part `n` (1-based) of the window. */
  bid: (part: number) => string;
  /** Lines per batch (protocol §2.5: 10,000). */
  partSize: number;
}

export type BatchStatus = "pending" | "settled";

export interface StatementLineRecord {
  paid: bigint;
  status: "accepted" | "refused";
  code?: string;
}

export interface SettledStatement {
  token: string;
  gross: bigint;
  carryIn: bigint;
  payout: bigint;
  carryOut: bigint;
  /** In batch order. */
  lines: StatementLineRecord[];
  settledAt: number;
}

export interface StoredBatch {
  bid: string;
  currency: string;
  win: string;
  status: BatchStatus;
  createdAt: number;
  lastError?: string;
  statement?: Omit<SettledStatement, "lines" | "token">;
  lines: (BatchLine & { result?: StatementLineRecord })[];
}

export interface MerchantStore {
  tab(tab: string): Promise<StoredTab | undefined>;
  receipt(tab: string, seq: number): Promise<StoredReceipt | undefined>;
  /**
   * In one transaction: stores the certificate if it raises the tab's limit (creating the tab
   * row if new), moves the tab to the receipt's seq and cum if it is still at prevSeq, and
   * inserts the receipt.
   */
  commit(receipt: AcceptedReceipt): Promise<CommitOutcome>;

  /** End (ms) of the newest window already batched in a currency. */
  lastWindowEnd(currency: string): Promise<number | undefined>;
  /** Oldest acceptance time (ms) of a receipt not yet in a batch. */
  oldestUnbatched(currency: string): Promise<number | undefined>;
  /**
   * Claims the window's receipts into pending batches, atomically: each receipt ends up in
   * exactly one batch. A part whose id already exists is left alone (claimed before).
   */
  claimWindow(claim: WindowClaim): Promise<string[]>;
  pendingBatches(): Promise<StoredBatch[]>;
  batches(): Promise<StoredBatch[]>;
  recordSubmitError(bid: string, code: string): Promise<void>;
  /** Stores the statement and marks the batch settled; a second call changes nothing. */
  settleBatch(bid: string, statement: SettledStatement): Promise<void>;

  close(): Promise<void>;
}
