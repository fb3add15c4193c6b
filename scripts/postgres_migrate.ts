/**
 * Creates or upgrades tether's Postgres tables (src/postgres/connection/postgres_schema.ts) on
 * the database at the URL given, then says which version it found and which it left:
 *
 *   node_modules/node24/bin/node scripts/postgres_migrate.ts postgres://user@host:5432/db
 *
 * (or `deno run -A` / `bun`; the URL may also come from DATABASE_URL). Safe to run again and
 * from several machines at once. Exits 1 with the reason when it cannot.
 */

import { migratePostgres, SCHEMA_VERSION } from "../src/postgres/mod.ts";

const url = process.argv[2] ?? process.env.DATABASE_URL;
if (url === undefined || !/^postgres(ql)?:\/\//.test(url)) {
  console.error("usage: scripts/postgres_migrate.ts postgres://user@host:5432/database");
  process.exit(2);
}
try {
  const found = await migratePostgres(url);
  console.log(
    found === SCHEMA_VERSION
      ? `tether schema already at version ${SCHEMA_VERSION}`
      : `tether schema migrated from version ${found} to ${SCHEMA_VERSION}`,
  );
} catch (error) {
  console.error(`postgres_migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
