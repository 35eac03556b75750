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
  upsertTab.run(r.upsertTab);
  if (advanceTab.run(r.advanceTab).changes === 0) return "conflict";
  insertReceipt.run(r.insertReceipt);
  return "committed";
});

const commitGroup = db.transaction((/** @type {unknown[]} */ group) =>
  group.map((r) => {
    try {
      return commitOne(r);
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }),
);

parentPort?.on("message", (/** @type {unknown[]} */ group) => {
  try {
    parentPort?.postMessage(commitGroup(group));
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    parentPort?.postMessage(group.map(() => ({ error })));
  }
});
