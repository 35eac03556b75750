import { startPostgres, type TestPostgres } from "./postgres";

let postgres: TestPostgres | undefined;

export async function setup(): Promise<void> {
  if (process.env.OPENTAB_TEST_PG_URL) return;
  postgres = await startPostgres(Number(process.env.OPENTAB_TEST_PG_PORT ?? 55432));
  process.env.OPENTAB_TEST_PG_URL = postgres.url;
}

export async function teardown(): Promise<void> {
  await postgres?.stop();
}
