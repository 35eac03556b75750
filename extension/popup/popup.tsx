import { useEffect, useState } from "preact/hooks";
import browser from "webextension-polyfill";
import { errorText, send } from "../shared/client";
import { money, timeLeft } from "../shared/format";
import type { BalanceView, Replies, SiteView, UnlockView } from "../shared/messages";

type Summary = Replies["wallet.summary"];

/** The site the popup was opened over; `?site=` lets a test open the popup as a page. */
async function currentSite(): Promise<string | undefined> {
  const forced = new URLSearchParams(location.search).get("site");
  if (forced) return forced;
  const [active] = await browser.tabs.query({ active: true, currentWindow: true });
  return active?.url?.startsWith("http") ? active.url : undefined;
}

export function Popup() {
  const [summary, setSummary] = useState<Summary>();
  const [error, setError] = useState("");

  useEffect(() => {
    const load = async () => {
      const site = await currentSite();
      setSummary(await send(site ? { type: "wallet.summary", site } : { type: "wallet.summary" }));
    };
    load().catch((e: unknown) => setError(errorText(e)));
  }, []);

  if (error) return <p role="alert">{error}</p>;
  if (!summary) return <p>Loading…</p>;
  return (
    <div style={{ minWidth: "22rem" }}>
      <h1>OpenTab</h1>
      <Balances balances={summary.balances} />
      <CurrentSite site={summary.site} />
      <Sites sites={summary.sites} />
      <Recent unlocks={summary.recent} />
      <Passes passes={summary.passes} />
      <p>
        <a href="../options/index.html" target="_blank" rel="noreferrer">
          Settings and history
        </a>
      </p>
    </div>
  );
}

function Balances({ balances }: { balances: BalanceView[] }) {
  if (balances.length === 0) {
    return (
      <p data-testid="balance-none">
        No balance yet.{" "}
        <a href="../onboarding/index.html" target="_blank" rel="noreferrer">
          Set up
        </a>
      </p>
    );
  }
  return (
    <section aria-label="Balance">
      {balances.map((b) => (
        <dl key={b.currency} data-testid={`balance-${b.currency}`}>
          <dt>Available</dt>
          <dd data-testid="balance-available">
            {money(b.available, b.currency)}{" "}
            {b.testMoney && <span class="test-money">test money</span>}
          </dd>
          <dt>Reserved in open tabs</dt>
          <dd data-testid="balance-reserved">{money(b.reserved, b.currency)}</dd>
          <dt>Spent</dt>
          <dd data-testid="balance-spent">{money(b.spent, b.currency)}</dd>
        </dl>
      ))}
    </section>
  );
}

function CurrentSite({ site }: { site: SiteView | undefined }) {
  if (!site) return null;
  return (
    <section aria-labelledby="current-site" data-testid="current-site">
      <h2 id="current-site">This site: {site.name}</h2>
      <SiteDetails site={site} />
    </section>
  );
}

function SiteDetails({ site }: { site: SiteView }) {
  return (
    <dl>
      {site.tab && (
        <>
          <dt>Tab</dt>
          <dd data-testid="site-tab">
            {money(site.tab.cum, site.currency)} of {money(site.tab.limit, site.currency)} used
          </dd>
        </>
      )}
      {site.rule && (
        <>
          <dt>Auto-pay</dt>
          <dd>up to {money(site.rule.perItem, site.rule.currency)} per item</dd>
        </>
      )}
      <dt>You hold</dt>
      <dd data-testid="site-grants">
        {site.grants.length === 0 ? "nothing yet" : site.grants.map((g) => g.title).join(", ")}
      </dd>
    </dl>
  );
}

function Sites({ sites }: { sites: SiteView[] }) {
  if (sites.length === 0) return null;
  return (
    <section aria-labelledby="sites-title">
      <h2 id="sites-title">Your sites</h2>
      <ul data-testid="sites">
        {sites.map((s) => (
          <li key={s.merchant} data-testid={`site-${s.merchant}`}>
            <strong>{s.name}</strong>{" "}
            {s.tab && `${money(s.tab.cum, s.currency)} of ${money(s.tab.limit, s.currency)}`}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Recent({ unlocks }: { unlocks: UnlockView[] }) {
  return (
    <section aria-labelledby="recent-title">
      <h2 id="recent-title">Recent unlocks</h2>
      {unlocks.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <ul data-testid="recent-unlocks">
          {unlocks.map((u) => (
            <li key={`${u.tab}:${u.seq}`} data-testid="unlock">
              {u.title} · {u.name} · {money(u.amount, u.currency)}
              {u.status === "pending" ? " (pending)" : ""}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Passes({ passes }: { passes: Summary["passes"] }) {
  if (passes.length === 0) return null;
  return (
    <section aria-labelledby="passes-title">
      <h2 id="passes-title">Active passes</h2>
      <ul data-testid="passes">
        {passes.map((p) => (
          <li key={`${p.merchant}:${p.scope}`} data-testid="pass">
            {p.title} · {timeLeft(p.expiresAt)}
          </li>
        ))}
      </ul>
    </section>
  );
}
