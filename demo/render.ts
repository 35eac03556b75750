import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Article, Site } from "./sites";

/**
 * Writes a demo site's pages: plain HTML a publisher could have written by hand, with one
 * snippet tag and one `data-opentab-resource` block per article. They are generated from
 * sites.ts at every start so the catalogue and the pages never disagree.
 */

export interface SiteLink {
  name: string;
  url: string;
}

const html = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const CSS = `body{margin:0;font:17px/1.55 Georgia,serif;color:#1f2328;background:#fff}
header,main,footer{max-width:42rem;margin:0 auto;padding:1rem}
header{border-bottom:4px solid var(--accent)}
header a{color:var(--accent);font:700 1.6rem system-ui,sans-serif;text-decoration:none}
header p{margin:.2rem 0 0;color:#57606a;font:.9rem system-ui,sans-serif}
h1,h2{font-family:system-ui,sans-serif;line-height:1.25}
.byline{color:#57606a;font:.9rem system-ui,sans-serif}
.teaser{font-style:italic}
code,pre{font:.85rem ui-monospace,monospace;background:#f6f8fa;padding:.1rem .3rem}
pre{padding:.75rem;overflow-x:auto}
footer{color:#57606a;font:.85rem system-ui,sans-serif;border-top:1px solid #d0d7de}
.opentab-offer{background:var(--accent);border-color:var(--accent)}
`;

function page(site: Site, title: string, main: string, links: SiteLink[]): string {
  const others = links.map((l) => `<a href="${html(l.url)}">${html(l.name)}</a>`).join(" · ");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)}</title>
<link rel="stylesheet" href="/site.css">
<style>:root{--accent:${site.accent}}</style>
<script src="/snippet.js" data-wallet-url="/wallet.html" defer></script>
</head>
<body>
<header><a href="/">${html(site.name)}</a><p>${html(site.tagline)}</p></header>
<main>
${main}
</main>
<footer><p>A demo publisher paid with OpenTab test money.${others ? ` Also on OpenTab: ${others}.` : ""}</p></footer>
</body>
</html>
`;
}

function articlePage(site: Site, article: Article, links: SiteLink[]): string {
  const main = `<article>
<h1>${html(article.title)}</h1>
<p class="byline">${html(article.byline)}</p>
<div data-opentab-resource="${html(article.id)}">
<p class="teaser">${html(article.teaser)}</p>
</div>
</article>`;
  return page(site, `${article.title} · ${site.name}`, main, links);
}

function apiSection(site: Site, origin: string): string {
  if (!site.api) return "";
  const url = `${origin}${site.api.path}`;
  return `<h2>Quote API</h2>
<p>${html(site.api.title)}, paid per call over HTTP 402. Without payment it answers
<code>402 Payment Required</code> with the offers:</p>
<pre>curl -i ${html(url)}</pre>`;
}

function indexPage(site: Site, origin: string, links: SiteLink[]): string {
  const items = site.articles.map(
    (a) => `<li><h2><a href="/${html(a.id)}.html">${html(a.title)}</a></h2>
<p class="byline">${html(a.byline)}</p><p>${html(a.teaser)}</p></li>`,
  );
  const pass = site.pass
    ? `<p>Reading a lot today? The <strong>${html(site.pass.title)}</strong> opens every article.</p>`
    : "";
  const main = `<h1>Today</h1>${pass}\n<ul>\n${items.join("\n")}\n</ul>\n${apiSection(site, origin)}`;
  return page(site, site.name, main, links);
}

function walletPage(site: Site, links: SiteLink[]): string {
  const main = `<h1>Get the OpenTab wallet</h1>
<p>The wallet is a browser extension. In this demo, load it unpacked:</p>
<ol>
<li>Run <code>npm start</code>; it builds the extension into <code>dist/extension</code>.</li>
<li>Open <code>chrome://extensions</code> and switch on <strong>Developer mode</strong>.</li>
<li>Click <strong>Load unpacked</strong> and choose the <code>dist/extension</code> folder.</li>
<li>Create the wallet, add test money, then come back and reload the article.</li>
</ol>`;
  return page(site, `Get the wallet · ${site.name}`, main, links);
}

/** Writes the site into `dir` (created if missing); `origin` is where readers reach it. */
export function renderSite(site: Site, origin: string, dir: string, links: SiteLink[]): void {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    "index.html": indexPage(site, origin, links),
    "wallet.html": walletPage(site, links),
    "site.css": CSS,
  };
  for (const article of site.articles) {
    files[`${article.id}.html`] = articlePage(site, article, links);
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** The sold content of an article, as the merchant server hands it out. */
export const articleContent = (article: Article): string =>
  article.body.map((p) => `<p>${html(p)}</p>`).join("\n");
