import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prng } from "../crash/child";
import {
  type LiveTab,
  type LiveWorld,
  receiptFor,
  send,
  startLiveWorld,
  unlockUrl,
} from "./support";

/**
 * 10,000 unlock bodies mutated from two valid ones, from a fixed seed: never a 5xx, never a
 * charge. One base receipt was accepted before (a mutation that leaves its tokens intact may
 * only get the original grant back); the other was never presented, so no mutation of it may
 * be accepted at all.
 */

const RUNS = 10_000;
const SEED = 0x5eed_0007;
const PARALLEL = 16;

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
const JUNK = ['"', "{", "}", "[", "]", ",", ":", "\\", "\u0000", "é", "null", "1e999", "-0"];

type Body = { certificate: string; receipt: string };
type Mutation = (body: Body, rand: () => number) => string;

const pick = <T>(items: readonly T[], rand: () => number): T => {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error("empty choice");
  return item;
};
const at = (text: string, rand: () => number) => Math.floor(rand() * Math.max(1, text.length));

function mutateToken(token: string, rand: () => number): string {
  const i = at(token, rand);
  switch (Math.floor(rand() * 5)) {
    case 0:
      return `${token.slice(0, i)}${pick([...B64], rand)}${token.slice(i + 1)}`;
    case 1:
      return `${token.slice(0, i)}${token.slice(i + 1)}`;
    case 2:
      return `${token.slice(0, i)}${pick([...B64], rand)}${token.slice(i)}`;
    case 3:
      return token.split(".").reverse().join(".");
    default:
      return token.slice(0, i);
  }
}

const mutations: Mutation[] = [
  (b, r) => JSON.stringify({ ...b, receipt: mutateToken(b.receipt, r) }),
  (b, r) => JSON.stringify({ ...b, certificate: mutateToken(b.certificate, r) }),
  (b, r) =>
    JSON.stringify({ certificate: b.receipt, receipt: r() < 0.5 ? b.certificate : b.receipt }),
  (b, r) => {
    const text = JSON.stringify(b);
    const i = at(text, r);
    return `${text.slice(0, i)}${pick(JUNK, r)}${text.slice(i + 1)}`;
  },
  (b, r) => JSON.stringify(b).slice(0, at(JSON.stringify(b), r)),
  (b, r) => JSON.stringify(r() < 0.5 ? { receipt: b.receipt } : { certificate: b.certificate }),
  (b, r) =>
    JSON.stringify({
      ...b,
      [pick(["certificate", "receipt"], r)]: pick([0, null, true, [], {}, "", "a.b.c"], r),
    }),
  (b, r) => JSON.stringify({ ...b, [pick(["price", "amt", "cum", "seq", "__proto__"], r)]: "1" }),
  (b, r) => {
    const [h = "", p = "", s = ""] = b.receipt.split(".");
    const segment = pick([h, p], r);
    const json = Buffer.from(segment, "base64url").toString("latin1");
    const i = at(json, r);
    const changed = Buffer.from(
      `${json.slice(0, i)}${pick(JUNK, r)}${json.slice(i + 1)}`,
      "latin1",
    ).toString("base64url");
    const receipt = segment === h ? `${changed}.${p}.${s}` : `${h}.${changed}.${s}`;
    return JSON.stringify({ ...b, receipt });
  },
];

/** A mutation that leaves the body's text as it was (a character for itself) is drawn again. */
function mutate(base: Body, rand: () => number): string {
  const original = JSON.stringify(base);
  for (;;) {
    const body = pick(mutations, rand)(base, rand);
    if (body !== original) return body;
  }
}

let world: LiveWorld;
let tab: LiveTab;
let accepted: Body;
let grant: string;
let fresh: Body;

beforeAll(async () => {
  world = await startLiveWorld();
  tab = await world.openTab("daily-planet");
  accepted = { certificate: tab.certificate, receipt: await receiptFor(tab) };
  const first = await send(unlockUrl(world.merchants["daily-planet"]), {
    headers: { "content-type": "application/json" },
    body: JSON.stringify(accepted),
  });
  grant = (first.body as { grant: string }).grant;
  fresh = {
    certificate: tab.certificate,
    receipt: await receiptFor(tab, { seq: 2, cum: "500000" }),
  };
});
afterAll(() => world.close());

describe("fuzzed unlock bodies", () => {
  it(`answers ${RUNS} mutated bodies (seed ${SEED}) with no 5xx and no charge`, async () => {
    const rand = prng(SEED);
    const before = world.snapshot();
    const url = unlockUrl(world.merchants["daily-planet"]);
    const bodies = Array.from({ length: RUNS }, (_x, i) => {
      const base = i % 2 === 0 ? accepted : fresh;
      return { i, base, body: mutate(base, rand) };
    });
    const problems: string[] = [];
    for (let start = 0; start < bodies.length; start += PARALLEL) {
      await Promise.all(
        bodies.slice(start, start + PARALLEL).map(async ({ i, base, body }) => {
          const reply = await send(url, { headers: { "content-type": "application/json" }, body });
          const replayed = (reply.body as { grant?: string } | undefined)?.grant === grant;
          if (reply.status >= 500) problems.push(`#${i} ${reply.status} ${reply.code}: ${body}`);
          else if (reply.status < 400 && !(base === accepted && replayed)) {
            problems.push(`#${i} accepted: ${body}`);
          }
        }),
      );
    }
    expect(problems.slice(0, 5).map((p) => p.slice(0, 300))).toEqual([]);
    expect(world.snapshot()).toEqual(before);
  }, 120_000);
});
