import { fail, OpenTabError } from "../../shared/errors";
import { formatAmount } from "../../shared/money";
import type { ApprovalView } from "../shared/messages";
import type { ApprovalRow, WalletDb } from "./db";
import type { Clock, WindowsApi } from "./ports";

export const PROMPT_PAGE = "extension/prompt/index.html";
// Shorter than the publisher snippet's own wait for a payment (300 s), so the page hears why.
const APPROVAL_TIMEOUT_MS = 4 * 60_000;

export type ApprovalRequest = Omit<ApprovalRow, "id" | "status" | "createdAt" | "windowId">;
export interface Approved {
  allowUpTo?: bigint;
}

interface Waiter {
  resolve: (approved: Approved) => void;
  reject: (error: unknown) => void;
}

/**
 * The approval window, drawn by the extension and never by the page. The request and its
 * outcome are stored; only the waiting payment itself is held in memory, and it dies with the
 * worker anyway (stale requests are expired on wake-up).
 */
export class ApprovalService {
  readonly #waiters = new Map<string, Waiter>();

  constructor(
    private readonly db: WalletDb,
    private readonly windows: WindowsApi,
    private readonly promptUrl: (path: string) => string,
    private readonly clock: Clock,
    private readonly timeoutMs = APPROVAL_TIMEOUT_MS,
  ) {}

  /** Opens the approval window and waits for Approve, Decline, the window closing or timeout. */
  async ask(request: ApprovalRequest): Promise<Approved> {
    const id = crypto.randomUUID();
    await this.db.approvals.add({ ...request, id, status: "pending", createdAt: this.clock() });

    const decided = new Promise<Approved>((resolve, reject) => {
      this.#waiters.set(id, { resolve, reject });
    });
    const timer = setTimeout(() => void this.expire(id), this.timeoutMs);
    try {
      const window = await this.windows.create({
        url: this.promptUrl(`${PROMPT_PAGE}?id=${encodeURIComponent(id)}`),
        type: "popup",
        width: 420,
        height: 600,
        focused: true,
      });
      if (window.id !== undefined) await this.db.approvals.update(id, { windowId: window.id });
      return await decided;
    } finally {
      clearTimeout(timer);
      this.#waiters.delete(id);
    }
  }

  async view(id: string): Promise<ApprovalView> {
    const row = await this.db.approvals.get(id);
    if (!row) fail("not_found", "no such approval request");
    return approvalView(row);
  }

  async decide(id: string, approve: boolean, allowUpTo?: bigint): Promise<ApprovalView> {
    const row = await this.db.approvals.get(id);
    if (!row) fail("not_found", "no such approval request");
    if (row.status !== "pending") fail("approval_timeout", "this request is no longer waiting");

    const status = approve ? "approved" : "declined";
    const decided: ApprovalRow = { ...row, status };
    if (approve && allowUpTo !== undefined) decided.allowUpTo = allowUpTo;
    await this.db.approvals.put(decided);

    const waiter = this.#waiters.get(id);
    if (approve) waiter?.resolve(allowUpTo === undefined ? {} : { allowUpTo });
    else waiter?.reject(declined());
    if (row.windowId !== undefined) await this.windows.remove(row.windowId).catch(() => undefined);
    return approvalView(decided);
  }

  /** The reader closed the window without choosing: that is a decline. */
  async windowClosed(windowId: number): Promise<void> {
    const row = await this.db.approvals.where("windowId").equals(windowId).first();
    if (row?.status !== "pending") return;
    await this.db.approvals.update(row.id, { status: "declined" });
    this.#waiters.get(row.id)?.reject(declined());
  }

  /** On wake-up no payment is waiting any more, so no stored request may still look open. */
  async expireStale(): Promise<void> {
    await this.db.approvals.where("status").equals("pending").modify({ status: "expired" });
  }

  private async expire(id: string): Promise<void> {
    await this.db.approvals.update(id, { status: "expired" });
    this.#waiters.get(id)?.reject(timedOut());
  }
}

const declined = () => new OpenTabError("payment_declined", "you declined the payment");
const timedOut = () => new OpenTabError("approval_timeout", "no answer in the approval window");

function approvalView(row: ApprovalRow): ApprovalView {
  const view: ApprovalView = {
    id: row.id,
    status: row.status,
    merchant: row.merchant,
    name: row.name,
    origin: row.origin,
    resource: row.resource,
    offer: row.offer,
    title: row.title,
    kind: row.kind,
    price: formatAmount(row.price),
    currency: row.currency,
  };
  if (row.available !== undefined) view.available = formatAmount(row.available);
  return view;
}
