import type { StoredTab } from "./store/types";

const CAPACITY = 10_000;

/**
 * The last state this process stored for each recent tab, so the next receipt of a tab is
 * decided without reading it back. It is only a first guess: a receipt is accepted when the
 * store's conditional update finds the same seq (another process may have moved the tab), and
 * any receipt the guess would refuse is decided again on the store's own row.
 */
export class TabCache {
  readonly #tabs = new Map<string, StoredTab>();

  get(tab: string): StoredTab | undefined {
    return this.#tabs.get(tab);
  }

  /** Records a stored receipt; a state older than the one held (late answers) is kept out. */
  advance(state: StoredTab): void {
    const held = this.#tabs.get(state.tab);
    if (held && held.seq >= state.seq) return;
    this.#tabs.delete(state.tab);
    if (this.#tabs.size >= CAPACITY) {
      const oldest = this.#tabs.keys().next().value;
      if (oldest !== undefined) this.#tabs.delete(oldest);
    }
    this.#tabs.set(state.tab, state);
  }

  forget(tab: string): void {
    this.#tabs.delete(tab);
  }

  clear(): void {
    this.#tabs.clear();
  }
}
