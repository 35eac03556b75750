import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{shared,service,issuer,merchant-server,extension,test}/**/*.test.{ts,tsx}"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
