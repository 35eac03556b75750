import { base64url } from "jose";

/** A random identifier with a readable prefix ("tab_…"); 128 bits, so ids never collide. */
export function randomId(prefix: string): string {
  return `${prefix}_${base64url.encode(crypto.getRandomValues(new Uint8Array(16)))}`;
}

export async function sha256(text: string | Uint8Array): Promise<string> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return base64url.encode(new Uint8Array(digest));
}

/**
 * A batch id is derived from what the batch covers, never drawn at random, so a merchant that
 * crashes and rebuilds asks for the same id and the issuer can answer with the same statement.
 */
export async function batchId(merchant: string, currency: string, window: string): Promise<string> {
  return `bat_${(await sha256(`${merchant}\n${currency}\n${window}`)).slice(0, 32)}`;
}
