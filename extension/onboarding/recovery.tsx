import { useState } from "preact/hooks";
import { errorText, send } from "../shared/client";

/**
 * Shows the recovery code once and asks the reader to type its last four characters, so the
 * code is known to be written down before the page moves on. The code is never stored.
 */
export function RecoveryCode({ code, onConfirmed }: { code: string; onConfirmed: () => void }) {
  const [typed, setTyped] = useState("");
  const [error, setError] = useState("");

  const confirm = async (event: Event) => {
    event.preventDefault();
    if (typed.trim() !== code.slice(-4)) {
      setError("Those are not the last 4 characters of your recovery code.");
      return;
    }
    try {
      await send({ type: "wallet.confirmRecovery" });
      onConfirmed();
    } catch (e: unknown) {
      setError(errorText(e));
    }
  };

  return (
    <section aria-labelledby="recovery-title">
      <h2 id="recovery-title">Your recovery code</h2>
      <p>
        Write it down now. It is shown only once, and it is the only way to get your balance back in
        another browser.
      </p>
      <p class="code" data-testid="recovery-code">
        {code}
      </p>
      <form onSubmit={confirm}>
        <label for="recovery-check">Type the last 4 characters of the code</label>
        <input
          id="recovery-check"
          data-testid="recovery-check"
          value={typed}
          maxLength={4}
          autocomplete="off"
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
        <button type="submit" data-testid="confirm-recovery">
          I have saved it
        </button>
      </form>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
