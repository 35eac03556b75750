import type { ComponentChildren } from "preact";

export interface FieldProps {
  /** Used as the input's id and its data-testid, so tests and labels agree. */
  id: string;
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  decimal?: boolean;
}

/** A labelled text input; every form field in the extension's pages is one of these. */
export function Field({ id, label, value, onValue, decimal = false }: FieldProps) {
  return (
    <>
      <label for={id}>{label}</label>
      <input
        id={id}
        data-testid={id}
        type="text"
        autocomplete="off"
        value={value}
        inputMode={decimal ? "decimal" : "text"}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </>
  );
}
