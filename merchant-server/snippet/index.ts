import { codeOf, Merchant, type Offer, SnippetError } from "./merchant";
import { Paywall } from "./paywall";
import { addStyles } from "./style";
import { LOADING, messageFor, WAITING } from "./text";
import { detectWallet, type Wallet } from "./wallet";

/**
 * The publisher snippet: `<script src="<merchant server>/snippet.js" defer>` plus blocks marked
 * `data-opentab-resource="<id>"` holding a teaser. The merchant server is where the script came
 * from. The page never sees a key or a receipt: the wallet pays and hands back a grant, and
 * the snippet trades the grant for the content (docs/protocol.md §6).
 */

interface Page {
  merchant: Merchant;
  merchantId: string;
  wallet: Wallet;
  paywalls: Paywall[];
}

function ownScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement) return current;
  return document.querySelector<HTMLScriptElement>('script[src$="/snippet.js"]');
}

function fail(paywall: Paywall, e: unknown): void {
  const code = codeOf(e);
  paywall.say(messageFor(code), code);
}

async function open(page: Page, paywall: Paywall, grant: string, focus: boolean): Promise<void> {
  const content = await page.merchant.access(grant, paywall.resource);
  paywall.reveal(content, focus);
}

/** A pass opens every other locked block on the page that sells the same pass. */
async function openCovered(page: Page, pass: Offer, grant: string): Promise<void> {
  const covered = page.paywalls.filter(
    (other) => other.state !== "unlocked" && other.offers.some((o) => o.id === pass.id),
  );
  await Promise.all(covered.map((other) => open(page, other, grant, false).catch(() => {})));
}

async function pay(page: Page, paywall: Paywall, offer: Offer): Promise<void> {
  paywall.busy(true);
  paywall.say(WAITING);
  try {
    const grant = await page.wallet.pay(page.merchantId, paywall.resource, offer.id);
    await open(page, paywall, grant, true);
    if (offer.kind === "pass") await openCovered(page, offer, grant);
  } catch (e: unknown) {
    paywall.busy(false);
    fail(paywall, e);
  }
}

/** Presents a held grant first: a reader who already paid is never asked again. */
async function prepare(page: Page, paywall: Paywall): Promise<void> {
  const [offers, grant] = await Promise.all([
    page.merchant.offers(paywall.resource),
    page.wallet.lookup(page.merchantId, paywall.resource).catch(() => undefined),
  ]);
  paywall.showOffers(offers, (offer) => void pay(page, paywall, offer));
  if (grant) {
    try {
      return await open(page, paywall, grant, false);
    } catch (e: unknown) {
      fail(paywall, e);
    }
  } else {
    paywall.say("");
  }
  paywall.setState("locked");
}

/** Without the wallet: the offers and the way to get it, never the content. */
async function prepareWithout(merchant: Merchant, paywall: Paywall, walletUrl: string) {
  const offers = await merchant.offers(paywall.resource);
  const explain = paywall.offerWallet(walletUrl);
  paywall.showOffers(offers, explain);
  paywall.say("");
  paywall.setState("locked");
}

async function boot(script: HTMLScriptElement): Promise<void> {
  const blocks = document.querySelectorAll<HTMLElement>("[data-opentab-resource]");
  if (blocks.length === 0) return;
  addStyles();
  const paywalls = [...blocks].map((b) => new Paywall(b, b.dataset.opentabResource ?? ""));
  for (const paywall of paywalls) paywall.say(LOADING);

  const merchant = new Merchant(new URL(".", script.src).href.replace(/\/$/, ""));
  const [found, wallet] = await Promise.all([
    merchant.discover().catch((e: unknown) => new SnippetError(codeOf(e))),
    detectWallet(),
  ]);
  const settle = (paywall: Paywall) => (e: unknown) => {
    paywall.setState("error");
    fail(paywall, e);
  };
  if (found instanceof SnippetError) {
    for (const paywall of paywalls) settle(paywall)(found);
    return;
  }
  if (!wallet) {
    // Without a publisher's choice, the issuer that runs the tabs is where its wallet is found.
    const walletUrl = script.dataset.walletUrl ?? found.issuer;
    for (const p of paywalls) prepareWithout(merchant, p, walletUrl).catch(settle(p));
    return;
  }
  const page: Page = { merchant, merchantId: found.merchant, wallet, paywalls };
  for (const p of paywalls) prepare(page, p).catch(settle(p));
}

const script = ownScript();
if (script) {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => void boot(script));
  } else {
    void boot(script);
  }
}
