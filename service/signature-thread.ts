import type { KeyObject } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { SignatureEngine } from "../shared/tokens/types";
import { keyObject } from "./signatures";

interface Op {
  key: number;
  input: string;
  /** Present for a verification, absent for a signature. */
  signature?: Uint8Array;
}

type Answer = boolean | Uint8Array | { error: string };

interface Pending {
  resolve: (answer: Answer) => void;
  reject: (error: unknown) => void;
}

/** One thread's life: the keys it was given die with it and are sent again to the next one. */
interface Session {
  worker: Worker;
  ids: WeakMap<CryptoKey, number>;
  nextId: number;
  /** Keys to hand over with the next batch, and ids the server no longer holds a key for. */
  keys: [number, KeyObject][];
  forget: number[];
  ops: Op[];
  waiting: Pending[];
  /** Batches sent and not yet answered, oldest first; the thread answers in order. */
  sent: Pending[][];
}

/**
 * ES256 on a thread of its own, for the unlock path. On the server's thread the curve arithmetic
 * of a receipt check and a grant signature was a fifth of each unlock's time; here it runs beside
 * the event loop. Operations go over a few to a message (see BATCH), and the thread answers each
 * message in order. A key crosses once, then travels as a number.
 */
// A message is sent once this many operations wait, and at the end of the loop's turn for the
// rest. One turn can take a hundred requests: held for the whole turn, they reached the thread
// in one late batch and the thread sat idle meanwhile (0.6 of the baseline's rate in
// `npm run bench`); one message each cost the server's thread about as much as it saved. Four
// kept both threads busy (0.8 to 1.0).
const BATCH = 4;

export class SignatureThread implements SignatureEngine {
  #session: Session | undefined;
  #closed = false;
  #drained: (() => void)[] = [];
  // A key the server let go (its certificate left the cache) is dropped by the thread too.
  readonly #released = new FinalizationRegistry<{ session: Session; id: number }>(
    ({ session, id }) => {
      if (session === this.#session) session.forget.push(id);
    },
  );

  sign(input: string, key: CryptoKey): Promise<Uint8Array> {
    return this.#ask(input, key, "private", undefined).then((answer) =>
      answer instanceof Uint8Array ? answer : Promise.reject(signError(answer)),
    );
  }

  verify(input: string, signature: Uint8Array, key: CryptoKey): Promise<boolean> {
    return this.#ask(input, key, "public", signature).then((answer) => answer === true);
  }

  #ask(
    input: string,
    key: CryptoKey,
    type: "public" | "private",
    signature: Uint8Array | undefined,
  ): Promise<Answer> {
    if (this.#closed) return Promise.reject(new Error("signature thread is closed"));
    // Checked here, so a wrong key fails with its code (token_key_unknown) before any hand-off.
    let object: KeyObject;
    try {
      object = keyObject(key, type);
    } catch (e: unknown) {
      return Promise.reject(e);
    }
    const session = this.#current();
    return new Promise((resolve, reject) => {
      const op: Op = { key: this.#keyId(session, key, object), input };
      // A copy of its own: a decoded signature often views a pooled buffer, and cloning the view
      // for the thread would copy the whole pool slab with it.
      if (signature) op.signature = Uint8Array.from(signature);
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
    const worker = new Worker(new URL("./signature-thread.worker.js", import.meta.url));
    const session: Session = {
      worker,
      ids: new WeakMap(),
      nextId: 1,
      keys: [],
      forget: [],
      ops: [],
      waiting: [],
      sent: [],
    };
    worker.on("message", (answers: Answer[]) => this.#answered(session, answers));
    // The operations in flight fail (the unlocks they belong to answer 500, nothing is charged)
    // and the next operation starts a new thread.
    worker.on("error", (error) => this.#lost(session, error));
    worker.on("exit", (code) =>
      this.#lost(session, new Error(`signature thread exited (${code})`)),
    );
    worker.unref();
    this.#session = session;
    return session;
  }

  #keyId(session: Session, key: CryptoKey, object: KeyObject): number {
    const known = session.ids.get(key);
    if (known !== undefined) return known;
    const id = session.nextId++;
    session.ids.set(key, id);
    session.keys.push([id, object]);
    this.#released.register(key, { session, id });
    return id;
  }

  #send(session: Session): void {
    if (session !== this.#session || session.ops.length === 0) return;
    const batch = { keys: session.keys, forget: session.forget, ops: session.ops };
    session.sent.push(session.waiting);
    session.keys = [];
    session.forget = [];
    session.ops = [];
    session.waiting = [];
    session.worker.ref();
    session.worker.postMessage(batch);
  }

  #answered(session: Session, answers: Answer[]): void {
    const batch = session.sent.shift() ?? [];
    batch.forEach((pending, i) => {
      const answer = answers[i];
      if (answer === undefined) pending.reject(new Error("signature thread answered short"));
      else pending.resolve(answer);
    });
    if (session.sent.length === 0) this.#idle(session);
  }

  #lost(session: Session, error: Error): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    for (const pending of [...session.sent.flat(), ...session.waiting]) pending.reject(error);
    session.sent = [];
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
    if (session.sent.length > 0 || session.ops.length > 0) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
    this.#session = undefined;
    await session.worker.terminate();
  }
}

function signError(answer: Answer): Error {
  const message = typeof answer === "object" && "error" in answer ? answer.error : "no signature";
  return new Error(`signature thread: ${message}`);
}
