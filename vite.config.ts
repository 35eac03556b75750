import { crx, type ManifestV3Export } from "@crxjs/vite-plugin";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";
import manifest from "./manifest.json" with { type: "json" };
import { snippetConfig } from "./merchant-server/snippet/build";

/**
 * Builds the browser-extension wallet from the root manifest into dist/extension/. The
 * approval window and the onboarding page are opened by the service worker, not named in the
 * manifest, so they are listed as extra inputs.
 */
const extension = defineConfig({
  plugins: [preact(), crx({ manifest: manifest satisfies ManifestV3Export })],
  build: {
    outDir: "dist/extension",
    emptyOutDir: true,
    target: "chrome116",
    rollupOptions: {
      input: {
        prompt: "extension/prompt/index.html",
        onboarding: "extension/onboarding/index.html",
      },
    },
  },
});

/** `vite build --mode snippet` builds the publisher snippet instead (merchant-server/snippet). */
export default defineConfig(({ mode }) => (mode === "snippet" ? snippetConfig() : extension));
