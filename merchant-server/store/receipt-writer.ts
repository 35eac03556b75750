import { Worker } from "node:worker_threads";
import { ADVANCE_TAB, INSERT_RECEIPT, receiptParams, UPSERT_TAB } from "./rows";
import type { AcceptedReceipt, CommitOutcome } from "./types";

interface Queued {
  receipt: AcceptedReceipt;
  resolve: (outcome: CommitOutcome) => void;
  reject: (error: unknown) => void;
}

type Result = CommitOutcome | { error: string };

/**
 * Stores accepted receipts from a thread of its own. better-sqlite3 is synchronous, and with
 * full sync every commit waits for the disk: on the server's thread that wait stopped every
 * other request. Here the server keeps verifying while a group is written; everything that
 * arrives meanwhile goes in the next group, one transaction and one disk sync for all of it.
 * A receipt's promise settles only after its transaction is on disk.
 */
export class ReceiptWriter {
  readonly #path: string;
  #thread: Worker | undefined;
  #waiting: Queued[] = [];
  #writing: Queued[] = [];
  #closed = false;
  #drained: (() => void)[] = [];

  constructor(path: string) {
    this.#path = path;
  }

  // Started at the first receipt, and again after a thread that died: a process that only settles
  // or reports never pays for the thread and its SQLite connection.
  get #worker(): Worker {
    if (this.#thread) return this.#thread;
    const worker = new Worker(new URL("./receipt-writer.worker.js", import.meta.url), {
      workerData: {
        path: this.#path,
        upsertTab: UPSERT_TAB,
        advanceTab: ADVANCE_TAB,
        insertReceipt: INSERT_RECEIPT,
      },
    });
    worker.on("message", (results: Result[]) => this.#written(results));
    // A thread that died takes its group with it: those unlocks fail, none is half-stored (the
    // group's transaction committed before the answer or not at all). The next receipt starts a
    // new thread.
    worker.on("error", (error) => this.#lost(worker, error));
    worker.on("exit", (code) => this.#lost(worker, new Error(`receipt writer exited (${code})`)));
    this.#thread = worker;
    return worker;
  }

  commit(receipt: AcceptedReceipt): Promise<CommitOutcome> {
    if (this.#closed) return Promise.reject(new Error("receipt writer is closed"));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ receipt, resolve, reject });
      if (this.#writing.length === 0) this.#send();
    });
  }

  #send(): void {
    this.#writing = this.#waiting;
    this.#waiting = [];
    const worker = this.#worker;
    worker.ref();
    worker.postMessage(this.#writing.map((q) => receiptParams(q.receipt)));
  }

  #written(results: Result[]): void {
    const group = this.#writing;
    this.#writing = [];
    group.forEach((item, i) => {
      const result = results[i];
      if (result === "committed" || result === "conflict") item.resolve(result);
      else item.reject(new Error(result?.error ?? "receipt writer answered short"));
    });
    if (this.#waiting.length > 0) this.#send();
    else this.#idle();
  }

  #lost(worker: Worker, error: Error): void {
    if (this.#thread !== worker) return;
    this.#thread = undefined;
    for (const item of [...this.#writing, ...this.#waiting]) item.reject(error);
    this.#writing = [];
    this.#waiting = [];
    this.#idle();
  }

  #idle(): void {
    this.#thread?.unref();
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** Refuses new receipts, waits for those already handed over, then stops the thread. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#writing.length > 0) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
    const thread = this.#thread;
    this.#thread = undefined;
    await thread?.terminate();
  }
}
