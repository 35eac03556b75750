import { Worker } from "node:worker_threads";
import { isErrorCode, OpenTabError } from "../shared/errors";
import type { SigningKey } from "../shared/keys";
import type { VerifiedCertificate } from "../shared/payment";
import type { GrantClaims, ReceiptClaims } from "../shared/schemas";

/** A receipt that passed every token rule (protocol §2.1) and the key of its certificate. */
export interface CheckedReceipt {
  claims: ReceiptClaims;
  /** base64url SHA-256 of the payload segment: what tells a replay from another receipt. */
  payloadHash: string;
  /** The grant asked for with the receipt, signed because the receipt passed. */
  grant?: string;
}

export type Op =
  | {
      kind: "receipt";
      token: string;
      certificate: VerifiedCertificate;
      at: number;
      grant: GrantClaims | undefined;
    }
  | { kind: "grant"; claims: GrantClaims };

export type Answer =
  | { ok: true; value: unknown }
  | { ok: false; code?: string; message: string; details?: Record<string, unknown> };

export interface Batch {
  id: number;
  ops: Op[];
}

export interface Answers {
  id: number;
  answers: Answer[];
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** One thread's life: what was sent to it and not answered dies with it. */
interface Session {
  worker: Worker;
  ops: Op[];
  waiting: Pending[];
  sent: Map<number, Pending[]>;
}

// A message goes once this many operations wait, and at the end of the loop's turn for the rest.
// One turn can take a hundred requests: held for the whole turn, they reached the thread in one
// late batch while it sat idle (0.6 of the baseline's rate in `npm run bench`); one message
// each cost the server's thread about as much as it saved. Four kept both threads busy.
const BATCH = 4;

/**
 * The token work of an unlock on a thread of its own: the receipt's checks (header, low-s,
 * signature with the tab key, claims schema) and the grant's signature. On the server's thread
 * they were a third of each unlock's time; here they run beside the event loop, which keeps the
 * HTTP work, the tab's state and the decision. The thread runs the same shared code
 * (verifyReceipt, signToken) with node:crypto, and answers with the same error codes.
 */
export class ReceiptThread {
  #session: Session | undefined;
  #nextBatch = 1;
  #closed = false;
  #drained: (() => void)[] = [];

  constructor(private readonly grantKey: SigningKey) {}

  /**
   * Checks a receipt and, only if it passes these token rules, signs `grant` (drafted from the
   * receipt's claims before they were verified): one trip to the thread for both, and no
   * signature is spent on a receipt that fails. The caller still applies the payment rules and
   * hands out the grant only if they pass too.
   */
  check(
    token: string,
    certificate: VerifiedCertificate,
    at: number,
    grant?: GrantClaims,
  ): Promise<CheckedReceipt> {
    return this.#ask({ kind: "receipt", token, certificate, at, grant }) as Promise<CheckedReceipt>;
  }

  signGrant(claims: GrantClaims): Promise<string> {
    return this.#ask({ kind: "grant", claims }) as Promise<string>;
  }

  #ask(op: Op): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("receipt thread is closed"));
    const session = this.#current();
    return new Promise((resolve, reject) => {
      if (session.ops.length === 0) setImmediate(() => this.#send(session));
      session.ops.push(op);
      session.waiting.push({ resolve, reject });
      if (session.ops.length >= BATCH) this.#send(session);
    });
  }

  // Started at the first operation, and again after a thread that died: a process that never
  // takes a receipt never pays for the thread.
  #current(): Session {
    if (this.#session) return this.#session;
    const worker = new Worker(new URL("./receipt-thread.worker.js", import.meta.url), {
      workerData: { grantKey: this.grantKey },
    });
    const session: Session = { worker, ops: [], waiting: [], sent: new Map() };
    worker.on("message", (answers: Answers) => this.#answered(session, answers));
    // The operations in flight fail (their unlocks answer 500, nothing is charged) and the next
    // operation starts a new thread.
    worker.on("error", (error) => this.#lost(session, error));
    worker.on("exit", (code) => this.#lost(session, new Error(`receipt thread exited (${code})`)));
    worker.unref();
    this.#session = session;
    return session;
  }

  #send(session: Session): void {
    if (session !== this.#session || session.ops.length === 0) return;
    const batch: Batch = { id: this.#nextBatch++, ops: session.ops };
    session.sent.set(batch.id, session.waiting);
    session.ops = [];
    session.waiting = [];
    session.worker.ref();
    session.worker.postMessage(batch);
  }

  #answered(session: Session, { id, answers }: Answers): void {
    const batch = session.sent.get(id) ?? [];
    session.sent.delete(id);
    batch.forEach((pending, i) => {
      const answer = answers[i];
      if (!answer) pending.reject(new Error("receipt thread answered short"));
      else if (answer.ok) pending.resolve(answer.value);
      else pending.reject(toError(answer));
    });
    if (session.sent.size === 0) this.#idle(session);
  }

  #lost(session: Session, error: Error): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    for (const pending of [...[...session.sent.values()].flat(), ...session.waiting]) {
      pending.reject(error);
    }
    session.sent.clear();
    session.waiting = [];
    session.ops = [];
    this.#idle(session);
  }

  #idle(session: Session): void {
    session.worker.unref();
    if (session.ops.length > 0) return;
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** Refuses new operations, waits for those already asked for, then stops the thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    if (!session) return;
    if (session.sent.size > 0 || session.ops.length > 0) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
    this.#session = undefined;
    await session.worker.terminate();
  }
}

function toError(answer: Extract<Answer, { ok: false }>): Error {
  if (isErrorCode(answer.code))
    return new OpenTabError(answer.code, answer.message, answer.details);
  return new Error(`receipt thread: ${answer.message}`);
}
