import { useEffect, useState } from "preact/hooks";
import { formatMajor, parseMajor } from "../../shared/money";
import { errorText, send } from "../shared/client";
import { Field } from "../shared/field";
import { money } from "../shared/format";
import type { Replies } from "../shared/messages";
import { History } from "./history";

type Config = Replies["settings.get"];

export function Options() {
  const [config, setConfig] = useState<Config>();
  const [error, setError] = useState("");

  useEffect(() => {
    send({ type: "settings.get" }).then(setConfig, (e: unknown) => setError(errorText(e)));
  }, []);

  const apply = async (task: () => Promise<Config>) => {
    setError("");
    try {
      setConfig(await task());
    } catch (e: unknown) {
      setError(errorText(e));
    }
  };

  if (!config) return error ? <p role="alert">{error}</p> : <p>Loading…</p>;
  return (
    <>
      <h1>OpenTab settings</h1>
      <SettingsForm config={config} apply={apply} />
      <Rules config={config} apply={apply} />
      {error && (
        <p role="alert" data-testid="options-error">
          {error}
        </p>
      )}
      <History />
    </>
  );
}

interface Props {
  config: Config;
  apply: (task: () => Promise<Config>) => Promise<void>;
}

function SettingsForm({ config, apply }: Props) {
  const { settings } = config;
  const [issuer, setIssuer] = useState(settings.issuer);
  const [limit, setLimit] = useState(
    formatMajor(BigInt(settings.defaultTabLimit), settings.currency),
  );
  const [cap, setCap] = useState(formatMajor(BigInt(settings.dailyCap), settings.currency));

  const save = (event: Event) => {
    event.preventDefault();
    void apply(() =>
      send({
        type: "settings.save",
        issuer: issuer.trim(),
        defaultTabLimit: parseMajor(limit.trim(), settings.currency).toString(),
        dailyCap: parseMajor(cap.trim(), settings.currency).toString(),
      }),
    );
  };

  return (
    <form onSubmit={save} aria-labelledby="settings-title">
      <h2 id="settings-title">Wallet</h2>
      <Field id="issuer-url" label="Issuer URL" value={issuer} onValue={setIssuer} />
      <Field
        id="tab-limit"
        label={`Default tab limit (${settings.currency})`}
        decimal
        value={limit}
        onValue={setLimit}
      />
      <Field
        id="daily-cap"
        label={`Daily cap, all sites (${settings.currency})`}
        decimal
        value={cap}
        onValue={setCap}
      />
      <div>
        <button type="submit" data-testid="save-settings">
          Save
        </button>
      </div>
    </form>
  );
}

function Rules({ config, apply }: Props) {
  const { rules, settings } = config;
  const [merchant, setMerchant] = useState("");
  const [perItem, setPerItem] = useState("0.50");
  const [perDay, setPerDay] = useState("5.00");

  const add = (event: Event) => {
    event.preventDefault();
    void apply(() =>
      send({
        type: "rules.save",
        merchant: merchant.trim(),
        perItem: parseMajor(perItem.trim(), settings.currency).toString(),
        perDay: parseMajor(perDay.trim(), settings.currency).toString(),
      }),
    );
  };

  return (
    <section aria-labelledby="rules-title">
      <h2 id="rules-title">Site rules</h2>
      {rules.length === 0 ? (
        <p>No site pays without asking you.</p>
      ) : (
        <ul data-testid="rules">
          {rules.map((r) => (
            <li key={r.merchant} data-testid={`rule-${r.merchant}`}>
              {r.name}: auto-pay up to {money(r.perItem, r.currency)} per item,{" "}
              {money(r.perDay, r.currency)} a day
              <button
                type="button"
                class="secondary"
                aria-label={`Remove the rule for ${r.name}`}
                data-testid={`remove-rule-${r.merchant}`}
                onClick={() =>
                  void apply(() => send({ type: "rules.remove", merchant: r.merchant }))
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add}>
        <Field id="rule-merchant" label="Merchant id" value={merchant} onValue={setMerchant} />
        <Field
          id="rule-per-item"
          label={`Auto-pay up to, per item (${settings.currency})`}
          decimal
          value={perItem}
          onValue={setPerItem}
        />
        <Field
          id="rule-per-day"
          label={`At most, per day (${settings.currency})`}
          decimal
          value={perDay}
          onValue={setPerDay}
        />
        <div>
          <button type="submit" data-testid="add-rule">
            Add rule
          </button>
        </div>
      </form>
    </section>
  );
}
