import { createServer } from "node:net";
import { startPostgres, type TestPostgres } from "./postgres";

let postgres: TestPostgres | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function setup(): Promise<void> {
  if (process.env.OPENTAB_TEST_PG_URL) return;
  postgres = await startPostgres(await freePort());
  process.env.OPENTAB_TEST_PG_URL = postgres.url;
}

export async function teardown(): Promise<void> {
  await postgres?.stop();
}
