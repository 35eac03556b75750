import type { Offer } from "./merchant";
import { WALLET_MISSING } from "./text";

/**
 * One protected block's paywall, drawn inside the block after the publisher's teaser. The
 * block's `data-opentab-state` (loading, locked, paying, unlocked, error) and `data-opentab-error`
 * (the last failure's code) let publishers style it and tests wait on it.
 */

export type State = "loading" | "locked" | "paying" | "unlocked" | "error";

const element = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text = "",
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
};

export class Paywall {
  readonly block: HTMLElement;
  readonly resource: string;
  offers: Offer[] = [];
  readonly #root = element("section", "opentab-paywall");
  readonly #list = element("ul", "opentab-offers");
  readonly #status = element("p", "opentab-status");

  constructor(block: HTMLElement, resource: string) {
    this.block = block;
    this.resource = resource;
    this.#root.setAttribute("aria-label", "Unlock with OpenTab");
    this.#status.setAttribute("role", "status");
    this.#root.append(element("p", "opentab-title", "Continue with OpenTab"), this.#list);
    this.#root.append(this.#status);
    block.append(this.#root);
    this.setState("loading");
  }

  get state(): string | undefined {
    return this.block.dataset.opentabState;
  }

  setState(state: State): void {
    this.block.dataset.opentabState = state;
  }

  /** Shows a message in the live region; a code marks it as a failure. */
  say(text: string, code?: string): void {
    this.#status.textContent = text;
    for (const node of [this.block, this.#root]) {
      if (code) node.dataset.opentabError = code;
      else delete node.dataset.opentabError;
    }
  }

  showOffers(offers: Offer[], choose: (offer: Offer) => void): void {
    this.offers = offers;
    this.#list.replaceChildren(
      ...offers.map((offer) => {
        const item = element("li", "opentab-offer-item");
        const button = element("button", "opentab-offer", `${offer.title} · ${offer.display}`);
        button.type = "button";
        button.dataset.opentabOffer = offer.id;
        button.addEventListener("click", () => choose(offer));
        item.append(button);
        return item;
      }),
    );
  }

  busy(on: boolean): void {
    for (const button of this.#list.querySelectorAll("button")) button.disabled = on;
    this.setState(on ? "paying" : "locked");
  }

  /** The way to the wallet for readers without it; focused when they pick an offer. */
  offerWallet(url: string): () => void {
    const link = element("a", "opentab-get-wallet", "Get the OpenTab wallet");
    link.href = url;
    this.#root.append(link);
    return () => {
      this.say(WALLET_MISSING);
      link.focus();
    };
  }

  /** Replaces the teaser and the paywall with the content; `focus` after the reader's click. */
  reveal(content: string, focus: boolean): void {
    // The content comes from the publisher's own merchant server, as trusted as the page.
    this.block.innerHTML = content;
    delete this.block.dataset.opentabError;
    this.setState("unlocked");
    if (!focus) return;
    this.block.tabIndex = -1;
    this.block.focus();
  }
}
