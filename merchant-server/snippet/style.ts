/**
 * Default looks. Every rule sits in `:where()` so it has zero specificity: any publisher rule
 * on the same classes wins, whatever the order of the style sheets.
 */
const CSS =
  ":where(.opentab-paywall){margin:1em 0;padding:1em;border:1px solid #c8ccd2;border-radius:8px;background:#f7f8fa;color:#1f2328;font:inherit}" +
  ":where(.opentab-title){margin:0 0 .5em;font-weight:600}" +
  ":where(.opentab-offers){display:flex;flex-wrap:wrap;gap:.5em;margin:0;padding:0;list-style:none}" +
  ":where(.opentab-offer){font:inherit;padding:.5em 1em;border:1px solid #1a56db;border-radius:6px;background:#1a56db;color:#fff;cursor:pointer}" +
  ":where(.opentab-offer:disabled){opacity:.6;cursor:progress}" +
  ":where(.opentab-offer:focus-visible){outline:3px solid #f59e0b;outline-offset:2px}" +
  ":where(.opentab-status){min-height:1.25em;margin:.5em 0 0}" +
  ":where(.opentab-paywall[data-opentab-error] .opentab-status){color:#b42318}" +
  ":where(.opentab-get-wallet){display:inline-block;margin-top:.5em;font-weight:600}";

/** Adds the defaults once, first in <head>, so publisher sheets come after them. */
export function addStyles(): void {
  if (document.getElementById("opentab-style")) return;
  const style = document.createElement("style");
  style.id = "opentab-style";
  style.textContent = CSS;
  document.head.prepend(style);
}
