import { formatMajor } from "../../shared/money";

/** "2.50 USD" from a wire amount; the UI never turns money into a float. */
export function money(wire: string, currency: string): string {
  return `${formatMajor(BigInt(wire), currency)} ${currency}`;
}

/** "3 h 20 min left" for a pass or a tab. */
export function timeLeft(expiresAt: number, now = Math.floor(Date.now() / 1000)): string {
  const seconds = Math.max(0, expiresAt - now);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (hours >= 48) return `${Math.floor(hours / 24)} days left`;
  return hours > 0 ? `${hours} h ${minutes} min left` : `${minutes} min left`;
}
