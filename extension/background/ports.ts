import type { Browser } from "webextension-polyfill";
import type { IssuerClient } from "../../issuer/client";
import type { MerchantClient, Unlocked } from "../../merchant-server/client";

/**
 * What the services need from the outside world, each a narrow slice of the real type so the
 * tests' fakes are checked against the browser's and the clients' own declarations.
 */

export type IssuerApi = Pick<
  IssuerClient,
  "merchant" | "register" | "recover" | "statement" | "topUp" | "openTab" | "raiseLimit"
>;

export type UnlockReply = Unlocked;
export type MerchantApi = Pick<MerchantClient, "offers" | "unlock" | "tabState">;

export interface Clients {
  issuer(baseUrl: string): IssuerApi;
  merchant(server: string): MerchantApi;
}

export type WindowsApi = Pick<Browser["windows"], "create" | "remove">;
export type TabsApi = Pick<Browser["tabs"], "create">;
export type AlarmsApi = Pick<Browser["alarms"], "create" | "clear">;

/** Seconds since the epoch; injectable so cap windows and expiry can be tested. */
export type Clock = () => number;
export const systemClock: Clock = () => Math.floor(Date.now() / 1000);
