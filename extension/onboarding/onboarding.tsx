import { useEffect, useState } from "preact/hooks";
import { parseMajor } from "../../shared/money";
import { errorText, send } from "../shared/client";
import { Field } from "../shared/field";
import { money } from "../shared/format";
import type { WalletStatus } from "../shared/messages";
import { RecoveryCode } from "./recovery";

const TEST_CURRENCY = "USD";

/** First-run page: create or restore the wallet, confirm the recovery code, add test funds. */
export function Onboarding() {
  const [status, setStatus] = useState<WalletStatus>();
  const [code, setCode] = useState<string>();
  const [error, setError] = useState("");

  const refresh = () =>
    send({ type: "wallet.status" }).then(setStatus, (e) => setError(errorText(e)));
  useEffect(() => void refresh(), []);

  const run = (task: () => Promise<void>) => async () => {
    setError("");
    try {
      await task();
    } catch (e: unknown) {
      setError(errorText(e));
    }
  };
  const create = run(async () => setCode((await send({ type: "wallet.create" })).recoveryCode));
  const restored = (recoveryCode: string) => setCode(recoveryCode);

  if (!status) return <p>Loading…</p>;
  return (
    <>
      <h1>Your OpenTab wallet</h1>
      <p>
        Issuer: <span data-testid="issuer-url">{status.issuer}</span> (change it in the{" "}
        <a href="../options/index.html">settings</a>)
      </p>
      {code ? (
        <RecoveryCode
          code={code}
          onConfirmed={() => {
            setCode(undefined);
            void refresh();
          }}
        />
      ) : status.ready ? (
        <Ready status={status} />
      ) : (
        <section aria-labelledby="create-title">
          <h2 id="create-title">Create a wallet</h2>
          <p>A key is made in this browser and never leaves it.</p>
          <button type="button" data-testid="create-wallet" onClick={create}>
            Create wallet
          </button>
        </section>
      )}
      {!code && <Restore onRestored={restored} onError={setError} />}
      {error && (
        <p role="alert" data-testid="onboarding-error">
          {error}
        </p>
      )}
    </>
  );
}

function Ready({ status }: { status: WalletStatus }) {
  const [amount, setAmount] = useState("10.00");
  const [balance, setBalance] = useState<string>();
  const [error, setError] = useState("");

  const topUp = async (event: Event) => {
    event.preventDefault();
    setError("");
    try {
      const wire = parseMajor(amount.trim(), TEST_CURRENCY).toString();
      const reply = await send({ type: "wallet.topUp", amount: wire, currency: TEST_CURRENCY });
      setBalance(reply.balance);
    } catch (e: unknown) {
      setError(errorText(e));
    }
  };

  return (
    <section aria-labelledby="ready-title">
      <h2 id="ready-title">Your wallet is ready</h2>
      <p data-testid="wallet-ready">
        Wallet <code>{status.wallet}</code>
        {status.recoveryConfirmed ? "" : " — recovery code not confirmed"}
      </p>
      <form onSubmit={topUp}>
        <Field
          id="topup-amount"
          label={
            <>
              Add test funds <span class="test-money">test money</span>
            </>
          }
          decimal
          value={amount}
          onValue={setAmount}
        />{" "}
        {TEST_CURRENCY}
        <button type="submit" data-testid="add-funds">
          Add test funds
        </button>
      </form>
      {balance !== undefined && (
        <p role="status" data-testid="balance">
          Available: {money(balance, TEST_CURRENCY)}
        </p>
      )}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

function Restore(props: { onRestored: (code: string) => void; onError: (m: string) => void }) {
  const [code, setCode] = useState("");

  const restore = async (event: Event) => {
    event.preventDefault();
    props.onError("");
    try {
      props.onRestored(
        (await send({ type: "wallet.restore", recoveryCode: code.trim() })).recoveryCode,
      );
    } catch (e: unknown) {
      props.onError(errorText(e));
    }
  };

  return (
    <section aria-labelledby="restore-title">
      <h2 id="restore-title">Restore a wallet</h2>
      <form onSubmit={restore}>
        <Field id="restore-code" label="Recovery code" value={code} onValue={setCode} />
        <button type="submit" class="secondary" data-testid="restore-wallet">
          Restore wallet
        </button>
      </form>
    </section>
  );
}
