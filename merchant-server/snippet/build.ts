import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Plugin, type UserConfig } from "vite";

/**
 * The snippet's library build, chosen in the root vite.config.ts by `vite build --mode snippet`:
 * one minified IIFE at dist/snippet/snippet.js, which the merchant server serves as
 * `GET /snippet.js`. The build fails when the file outgrows its gzip budget.
 */

export const SNIPPET_BUDGET_GZIP = 6 * 1024;
export const SNIPPET_FILE = resolve(import.meta.dirname, "../../dist/snippet/snippet.js");

export function gzipSize(code: string | Uint8Array): number {
  return gzipSync(code, { level: 9 }).length;
}

function checkSize(): Plugin {
  return {
    name: "opentab-snippet-size",
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== "chunk") continue;
        const gzip = gzipSize(chunk.code);
        const line = `${chunk.fileName}: ${chunk.code.length} B, ${gzip} B gzip (budget ${SNIPPET_BUDGET_GZIP} B)`;
        if (gzip > SNIPPET_BUDGET_GZIP) this.error(`over budget: ${line}`);
        this.info(line);
      }
    },
  };
}

export function snippetConfig(outDir = "dist/snippet"): UserConfig {
  return {
    publicDir: false,
    plugins: [checkSize()],
    build: {
      outDir,
      emptyOutDir: true,
      target: "es2022",
      minify: true,
      sourcemap: false,
      lib: {
        entry: "merchant-server/snippet/index.ts",
        formats: ["iife"],
        name: "OpenTabSnippet",
        fileName: () => "snippet.js",
      },
    },
  };
}

/**
 * For tests run without `npm run build` first: builds the snippet when it is missing, without
 * emptying the folder, so test files running side by side never see it vanish.
 */
export async function ensureSnippetBuilt(): Promise<void> {
  if (existsSync(SNIPPET_FILE)) return;
  const config = snippetConfig();
  await build({
    ...config,
    configFile: false,
    logLevel: "silent",
    build: { ...config.build, emptyOutDir: false },
  });
}
