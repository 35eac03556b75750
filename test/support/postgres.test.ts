import pg from "pg";
import { expect, it } from "vitest";
import { createTestDatabase } from "./postgres";

it("gives each suite its own empty PostgreSQL database on loopback", async () => {
  const client = new pg.Client({ connectionString: await createTestDatabase("probe") });
  await client.connect();
  const { rows } = await client.query(
    "select count(*)::int as n from pg_tables where schemaname = 'public'",
  );
  await client.end();
  expect(rows[0].n).toBe(0);
});
