// The receipt thread's entry (see receipt-thread.ts). Node 20 starts a worker only from
// JavaScript, so this file registers the TypeScript loader the server itself runs under and
// hands over to the thread's code.
import { register } from "tsx/esm/api";

register();
await import("./receipt-thread.run.ts");
