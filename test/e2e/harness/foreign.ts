import { createServer, type Server } from "node:http";
import type { Page } from "playwright-core";

/**
 * A third loopback origin that is neither merchant's: it talks to the wallet the way the
 * snippet does (docs/protocol.md §6 window messages), naming a merchant it is not.
 */

// The empty icon keeps the browser from asking for /favicon.ico: the page's document is then the
// only request its origin should see (test/privacy/extension-hosts.test.ts).
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="data:,"><title>Not the merchant</title></head>
<body><h1>A page on another origin</h1></body></html>`;

export interface ForeignSite {
  origin: string;
  close(): Promise<void>;
}

export async function serveForeignSite(): Promise<ForeignSite> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(PAGE);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("not on TCP");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

export type WalletReply = Record<string, unknown>;

/**
 * Runs in the page: posts one request on the page's own window and resolves with the wallet's
 * answer (our own request echoes back too, so only a reply shape with our id counts). `hello`
 * is repeated until the content script answers, as the snippet does.
 */
function askInPage(request: WalletReply): Promise<WalletReply> {
  const id = `foreign-${Math.random().toString(36).slice(2)}`;
  const isReply = (d: WalletReply) =>
    d.type === "paid" ||
    d.type === "error" ||
    (d.type === "hello" && d.version === 1) ||
    (d.type === "lookup" && !("merchant" in d));
  return new Promise((resolve) => {
    const post = () => postMessage({ ...request, opentab: 1, id }, location.origin);
    const again = request.type === "hello" ? setInterval(post, 250) : undefined;
    addEventListener("message", (event: MessageEvent) => {
      const data: unknown = event.data;
      if (typeof data !== "object" || data === null) return;
      const reply: WalletReply = { ...data };
      if (reply.id !== id || !isReply(reply)) return;
      clearInterval(again);
      resolve(reply);
    });
    post();
  });
}

export function askWallet(page: Page, request: WalletReply): Promise<WalletReply> {
  return page.evaluate(askInPage, request);
}
