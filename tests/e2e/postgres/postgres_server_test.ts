/**
 * The test cluster itself (postgres_server.ts): what a test commits survives the crash that
 * `halt("immediate")` is (SIGQUIT, no checkpoint) and the restart after it, as on a production
 * server. The fault tests crash the server right after their setup (the migration, a claimed
 * proof) and then expect it back with that state.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { itPostgres, postgresSkip, startPostgres, type TestPostgres } from "./postgres_server.ts";

let server: TestPostgres | undefined;
before(async () => {
  if (postgresSkip === false) server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

itPostgres("a table committed just before a crash is there after the restart", async () => {
  // A few rounds: a commit lost to a crash depends on when the server's WAL writer last ran.
  for (let round = 0; round < 3; round++) {
    await server!.psql(
      `CREATE TABLE crashed_${round} (id int); INSERT INTO crashed_${round} VALUES (${round})`,
    );
    await server!.halt("immediate");
    await server!.restart();
    const tables = await server!.psql(
      "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'crashed\\_%'",
    );
    assert.equal(tables.trim(), String(round + 1), `round ${round}: every committed table kept`);
    assert.equal((await server!.psql(`SELECT id FROM crashed_${round}`)).trim(), String(round));
  }
});
