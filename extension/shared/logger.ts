/**
 * A named logger for one part of the extension. It logs events and ids only: never a key, a
 * token, a receipt, a recovery code or a balance. Quiet under test.
 */
export interface Logger {
  info(event: string, fields?: Record<string, string | number>): void;
  warn(event: string, fields?: Record<string, string | number>): void;
}

const quiet = import.meta.env?.MODE === "test";

export function createLogger(name: string): Logger {
  const prefix = `[opentab:${name}]`;
  return {
    info: (event, fields) => {
      if (!quiet) console.info(prefix, event, fields ?? {});
    },
    warn: (event, fields) => {
      if (!quiet) console.warn(prefix, event, fields ?? {});
    },
  };
}
