import {
  createServer,
  request as forward,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { connect, type Socket } from "node:net";

/**
 * A recording HTTP proxy on 127.0.0.1 that every request of a browser under test goes through.
 * It writes each request down as it arrives (before it answers), forwards only to loopback, and
 * refuses everything else, so a request to any other host is recorded and never leaves the
 * machine. Handles absolute-form requests and CONNECT tunnels (https, WebSockets).
 */

export interface ProxiedRequest {
  method: string;
  /** `http://host:port/path` for a plain request, `host:port` for a CONNECT tunnel. */
  target: string;
  /** `host:port` as the browser named it, before any resolution. */
  host: string;
  /** The request's Origin header, if it carried one. */
  origin?: string;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const HOP_BY_HOP = ["proxy-connection", "proxy-authorization", "connection", "keep-alive"];

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.replace(/:\d+$/, ""));
}

/** A request line's host, or the whole line when it is not an absolute URL. */
const hostOf = (target: string) => (URL.canParse(target) ? new URL(target).host : target);

/** The demo binds every server to 127.0.0.1; `localhost` is only a different origin for it. */
const dialHost = (hostname: string) => (hostname === "localhost" ? "127.0.0.1" : hostname);

export class RecordingProxy {
  readonly requests: ProxiedRequest[] = [];
  readonly #tunnels = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<RecordingProxy> {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("not on TCP");
    const proxy = new RecordingProxy(server, `http://127.0.0.1:${address.port}`);
    server.on("request", (req, res) => proxy.#relay(req, res));
    server.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) =>
      proxy.#tunnel(req, socket, head),
    );
    server.on("upgrade", (req: IncomingMessage, socket: Socket) => {
      proxy.#record(req, req.url ?? "", hostOf(req.url ?? ""));
      socket.destroy();
    });
    return proxy;
  }

  /**
   * Resolves once every connection the browser opened has ended, so a request it sent before it
   * closed is in `requests` by then: call it after closing the browser, then read the log.
   */
  close(): Promise<void> {
    for (const tunnel of this.#tunnels) tunnel.destroy();
    return new Promise((done) => this.server.close(() => done()));
  }

  #record(req: IncomingMessage, target: string, host: string): void {
    const origin = req.headers.origin;
    this.requests.push({ method: req.method ?? "", target, host, ...(origin ? { origin } : {}) });
  }

  #relay(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? "";
    this.#record(req, target, hostOf(target));
    const url = URL.canParse(target) ? new URL(target) : undefined;
    if (!url || !isLoopback(url.host)) {
      res
        .writeHead(502, { "content-type": "text/plain" })
        .end("the test proxy reaches loopback only");
      return;
    }
    const headers = { ...req.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    const upstream = forward(
      {
        host: dialHost(url.hostname),
        port: url.port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  }

  #tunnel(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const target = req.url ?? "";
    this.#record(req, target, target);
    const url = URL.canParse(`http://${target}`) ? new URL(`http://${target}`) : undefined;
    if (!url || !isLoopback(url.host)) {
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = connect(Number(url.port), dialHost(url.hostname), () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    this.#tunnels.add(upstream);
    upstream.on("close", () => this.#tunnels.delete(upstream));
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  }
}
