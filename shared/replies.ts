import { isErrorCode, OpenTabError } from "./errors";
import { ErrorEnvelope } from "./issuer-api";

/** How both HTTP clients read a reply: JSON when it is, `undefined` when it is empty or not. */
export async function readJson(response: Response): Promise<unknown> {
  try {
    const text = await response.text();
    return text.length === 0 ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The refusal a reply carries, or `undefined` when it is not an OpenTab error envelope with a
 * known code (a proxy's error page tells nothing about what the server decided).
 */
export function carriedError(reply: unknown): OpenTabError | undefined {
  const envelope = ErrorEnvelope.safeParse(reply);
  const error = envelope.success ? envelope.data.error : undefined;
  if (!error || !isErrorCode(error.code)) return undefined;
  return new OpenTabError(error.code, error.message, error.details);
}
