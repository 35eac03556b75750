import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import type { z } from "zod";
import { type ErrorCode, fail, OpenTabError } from "../shared/errors";
import { schemaErrorCode } from "../shared/schemas";
import type { Logger } from "./logger";

export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Parses JSON bodies strictly: only `application/json`, only objects and arrays, at most
 * `limit` bytes. A POST with any other content type is refused before its body is read.
 */
export function jsonBody(limit = DEFAULT_BODY_LIMIT): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (req.method !== "POST" && req.method !== "PUT") return next();
    if (!req.is("application/json")) {
      return next(new OpenTabError("unsupported_media_type", "send application/json"));
    }
    next();
  };
  return [requireJson, express.json({ limit, strict: true, type: "application/json" })];
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
  if (typeof error === "object" && error !== null && "type" in error) {
    const code = bodyParserCodes[String(error.type)];
    if (code) return new OpenTabError(code, `request body refused: ${code}`);
  }
  return undefined;
}

export function sendError(res: Response, error: OpenTabError): void {
  res.status(error.status).json(error.toJSON());
}

/** Maps every error to `{error:{code,message}}`; anything unexpected is a logged 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
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
