import { type Logger, pino } from "pino";

/**
 * One named logger per service. Keys, tokens, receipts and request bodies are redacted at the
 * source so no call site can leak them by accident; tests run silent unless LOG_LEVEL is set.
 */
export function createLogger(name: string): Logger {
  const quiet = process.env.VITEST !== undefined && process.env.LOG_LEVEL === undefined;
  // Logs go to stderr: stdout belongs to what a command prints, e.g. `reconcile --format csv`.
  return pino(
    {
      name,
      level: quiet ? "silent" : (process.env.LOG_LEVEL ?? "info"),
      redact: {
        paths: [
          "req.headers.authorization",
          'req.headers["opentab-payment"]',
          "req.headers.cookie",
          "req.body",
          "*.certificate",
          "*.receipt",
          "*.grant",
          "*.key",
          "*.recovery_code",
        ],
        censor: "[redacted]",
      },
    },
    pino.destination(2),
  );
}

export type { Logger };
