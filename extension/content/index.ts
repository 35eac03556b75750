import browser from "webextension-polyfill";
import { startBridge } from "./bridge";

startBridge({
  window,
  origin: window.location.origin,
  send: (message) => browser.runtime.sendMessage(message),
});
