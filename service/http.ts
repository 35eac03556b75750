import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import { pinoHttp } from "pino-http";
import type { z } from "zod";
import { type ErrorCode, fail, OpenTabError } from "../shared/errors";
import { schemaErrorCode } from "../shared/schemas";
import type { Logger } from "./logger";

export const DEFAULT_BODY_LIMIT = 64 * 1024;

type KeepBody = (req: Request, res: Response, body: Buffer) => void;

/**
 * Parses JSON bodies strictly: only `application/json`, only objects and arrays, at most
 * `limit` bytes, never compressed (a small gzip body can inflate without bound). A POST with
 * a body of any other type is refused before it is read; a POST with no body passes.
 * `keep` sees the exact bytes, for callers that check a signature over them.
 */
export function jsonBody(limit = DEFAULT_BODY_LIMIT, keep?: KeepBody): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (req.method !== "POST" && req.method !== "PUT") return next();
    // req.is answers null when the request has no body at all.
    if (req.is("application/json") === false) {
      return next(new OpenTabError("unsupported_media_type", "send application/json"));
    }
    next();
  };
  const options = { limit, strict: true, inflate: false, type: "application/json" };
  return [requireJson, express.json(keep ? { ...options, verify: keep } : options)];
}

/** One log line per request with a request id, also sent back as `X-Request-Id`. */
export function requestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (_req, res) => {
      const id = randomUUID();
      res.setHeader("x-request-id", id);
      return id;
    },
    // The serializers read three fields of the raw request: the standard wrapper would copy
    // every header into an object on each request, logged or not.
    wrapSerializers: false,
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split("?")[0],
      }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
  });
}

/** Checks a value that crossed a trust boundary; the error names the first bad field. */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "body";
  // A bad amount or currency keeps its own code (protocol §1), whatever field it sits in.
  return fail(
    schemaErrorCode(result.error, "invalid_body"),
    `${where}: ${issue?.message ?? "invalid"}`,
  );
}

const bodyParserCodes: Record<string, ErrorCode> = {
  "entity.parse.failed": "invalid_json",
  "entity.too.large": "body_too_large",
  "encoding.unsupported": "unsupported_media_type",
  "charset.unsupported": "unsupported_media_type",
  "request.aborted": "invalid_body",
  "request.size.invalid": "invalid_body",
};

function toOpenTabError(error: unknown): OpenTabError | undefined {
  if (error instanceof OpenTabError) return error;
  if (typeof error !== "object" || error === null) return undefined;
  const code = "type" in error ? bodyParserCodes[String(error.type)] : undefined;
  if (code) return new OpenTabError(code, `request body refused: ${code}`);
  // Express and Node flag what the client got wrong (a bad %-escape in a path, say) with a 4xx
  // status: still the client's error, never a 500.
  const status = "status" in error ? Number(error.status) : 0;
  if (status >= 400 && status < 500)
    return new OpenTabError("invalid_request", "malformed request");
  return undefined;
}

export function sendError(res: Response, error: OpenTabError): void {
  res.status(error.status).json(error.toJSON());
}

/** Maps every error to `{error:{code,message}}`; anything unexpected is a logged 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // A handler that failed after it began its answer: an error body appended to it would read as
    // part of it, so the connection is cut and the client sees an incomplete answer.
    if (res.headersSent) {
      logger.error({ err: error, method: req.method, path: req.path }, "request failed mid-answer");
      res.destroy();
      return;
    }
    const known = toOpenTabError(error);
    if (known) {
      logger.info({ code: known.code, method: req.method, path: req.path }, "request refused");
      return sendError(res, known);
    }
    logger.error({ err: error, method: req.method, path: req.path }, "request failed");
    sendError(res, new OpenTabError("internal_error", "internal error"));
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new OpenTabError("not_found", `no route for ${req.method} ${req.path}`));
};

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/**
 * Lets through only requests that carry `Authorization: Bearer <token>`. Both sides are hashed
 * first, so the comparison takes the same time whatever the length of what was sent.
 */
export function adminOnly(token: string): RequestHandler {
  const expected = digest(`Bearer ${token}`);
  return (req, _res, next) => {
    const given = digest(req.get("authorization") ?? "");
    if (!timingSafeEqual(given, expected)) fail("admin_token_invalid", "admin token required");
    next();
  };
}
