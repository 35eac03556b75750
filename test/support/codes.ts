import { OpenTabError } from "../../shared/errors";

/** The code a promise was refused with, or undefined when it succeeded; other errors propagate. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (e: unknown) {
    if (e instanceof OpenTabError) return e.code;
    throw e;
  }
  return undefined;
}
