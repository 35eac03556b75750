import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** One registry per running merchant, so several can share a process (tests, the demo). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    payments: new Counter({
      name: "opentab_merchant_payments_total",
      help: "Receipts presented (unlocks and paid API calls), by outcome and refusal code",
      labelNames: ["outcome", "code"] as const,
      registers: [registry],
    }),
    verifySeconds: new Histogram({
      name: "opentab_merchant_verify_seconds",
      help: "Time to verify a certificate and a receipt",
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers: [registry],
    }),
    batches: new Counter({
      name: "opentab_merchant_batches_total",
      help: "Settlement batch submissions, by outcome",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
