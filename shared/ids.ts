import { base64url } from "jose";

/** A random identifier with a readable prefix ("tab_…"); 128 bits, so ids never collide. */
// Each getRandomValues call is a trip to the system's generator, and a merchant names every
// grant it signs: ids take 16 bytes at a time from a pool refilled 4 KiB at once. No byte is
// handed out twice.
const pool = new Uint8Array(4096);
let drawn = pool.length;

export function randomId(prefix: string): string {
  if (drawn + 16 > pool.length) {
    crypto.getRandomValues(pool);
    drawn = 0;
  }
  const bytes = pool.subarray(drawn, drawn + 16);
  drawn += 16;
  return `${prefix}_${base64url.encode(bytes)}`;
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
