// @ts-check
// The receipt writer's thread (see receipt-writer.ts). Plain JavaScript because Node 20 does not
// run a worker through the TypeScript loader the rest of the server uses; it holds no logic of
// its own: the statements arrive from rows.ts, and each group of receipts is one transaction.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

/** @type {{ path: string, upsertTab: string, advanceTab: string, insertReceipt: string }} */
const config = workerData;
const db = new Database(config.path);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = FULL");
db.pragma("busy_timeout = 5000");
db.defaultSafeIntegers(true);
const upsertTab = db.prepare(config.upsertTab);
const advanceTab = db.prepare(config.advanceTab);
const insertReceipt = db.prepare(config.insertReceipt);

/** A savepoint per receipt: one that fails leaves the others of its group committed. */
const commitOne = db.transaction((r) => {
  if (r.upsertTab) upsertTab.run(r.upsertTab);
  if (advanceTab.run(r.advanceTab).changes === 0) return "conflict";
  insertReceipt.run(r.insertReceipt);
  return "committed";
});

// A group that failed as a whole (a full disk rolls back the enclosing transaction, not just
// the savepoint) answers an error for every receipt from there on and runs none of them: what
// follows would otherwise commit one by one while the caller hears that all failed.
const commitGroup = db.transaction((/** @type {unknown[]} */ group) => {
  /** @type {unknown[]} */
  const results = [];
  for (const r of group) {
    if (!db.inTransaction) {
      results.push({ error: "the group's transaction was rolled back" });
      continue;
    }
    try {
      results.push(commitOne(r));
    } catch (e) {
      results.push({ error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
});

// Immediate: the group waits for the write lock once (while settlement holds it), rather than
// each receipt waiting out the busy timeout on its own.
parentPort?.on("message", (/** @type {unknown[]} */ group) => {
  try {
    parentPort?.postMessage(commitGroup.immediate(group));
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    parentPort?.postMessage(group.map(() => ({ error })));
  }
});
