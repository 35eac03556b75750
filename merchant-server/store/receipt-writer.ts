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
  #failed: Error | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  // Started at the first receipt: a process that only settles or reports never pays for the
  // thread and the second SQLite connection.
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
    // A writer that died takes its group with it: those unlocks fail, none is half-stored
    // (the transaction either committed before the reply or not at all).
    worker.on("error", (error) => this.#fail(error));
    worker.on("exit", (code) => this.#fail(new Error(`receipt writer exited (${code})`)));
    this.#thread = worker;
    return worker;
  }

  commit(receipt: AcceptedReceipt): Promise<CommitOutcome> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ receipt, resolve, reject });
      if (this.#writing.length === 0) this.#send();
    });
  }

  #send(): void {
    this.#writing = this.#waiting;
    this.#waiting = [];
    this.#worker.ref();
    this.#worker.postMessage(this.#writing.map((q) => receiptParams(q.receipt)));
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
    else this.#worker.unref();
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const item of [...this.#writing, ...this.#waiting]) item.reject(error);
    this.#writing = [];
    this.#waiting = [];
  }

  /** Waits for the group being written, then stops the thread. */
  async close(): Promise<void> {
    const thread = this.#thread;
    while (thread && this.#writing.length > 0 && !this.#failed) {
      await new Promise((resolve) => thread.once("message", resolve));
    }
    this.#failed ??= new Error("receipt writer is closed");
    await thread?.terminate();
  }
}
