/**
 * The Postgres backend's schema is the user's to migrate: at startup a missing, older or newer
 * schema is refused with a message naming what to run; `migratePostgres` and
 * scripts/postgres_migrate.ts create it, and are safe to run again and at once. A Postgres
 * that cannot be reached at startup is a clear error that hides the password.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before } from "node:test";
import postgres from "postgres";
import { createPostgresBackend } from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres, SCHEMA_VERSION } from "../../../src/postgres/mod.ts";
import type { PostgresSql } from "../../../src/postgres/connection/postgres_gate.ts";
import { freeRigPort } from "../../../scripts/rig_processes.ts";
import { within } from "../../helpers.ts";
import { itPostgres, postgresSkip, startPostgres, type TestPostgres } from "./postgres_server.ts";

let server: TestPostgres | undefined;
before(async () => {
  if (postgresSkip === false) server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

let databases = 0;
/** A fresh, empty database on the test server; its URL. */
async function freshDatabase(): Promise<string> {
  const name = `schema_${++databases}`;
  await server!.psql(`CREATE DATABASE ${name}`);
  return server!.url.replace(/\/postgres$/, `/${name}`);
}

/** A client of `url` for the test's own statements. */
function clientOf(url: string): PostgresSql {
  return postgres(url, { max: 1, onnotice: () => {} });
}

itPostgres("a missing schema is refused at startup, naming the migration to run", async () => {
  const url = await freshDatabase();
  await assert.rejects(
    within(createPostgresBackend({ url }), 10_000, "the refusal"),
    /schema is missing.*migratePostgres\(url\).*scripts\/postgres_migrate\.ts/,
  );
  const sql = clientOf(url);
  try {
    assert.equal(await migratePostgres(url), 0, "found nothing");
    const backend = await createPostgresBackend({ url }, { listen: false });
    await backend.close(); // positive control: the migrated schema is taken
  } finally {
    await sql.end({ timeout: 1 });
  }
});

itPostgres(
  "an older schema is refused (run the migration), a newer one too (upgrade)",
  async () => {
    const url = await freshDatabase();
    const sql = clientOf(url);
    try {
      await sql`CREATE TABLE tether_schema (version integer NOT NULL, migrated_at timestamptz NOT NULL DEFAULT now())`;
      await sql`INSERT INTO tether_schema (version) VALUES (0)`;
      await assert.rejects(
        createPostgresBackend({ url }, { listen: false }),
        new RegExp(
          `schema is at version 0, older than this tether's ${SCHEMA_VERSION}: run migratePostgres`,
        ),
      );
      await sql`INSERT INTO tether_schema (version) VALUES (${SCHEMA_VERSION + 1})`;
      await assert.rejects(
        createPostgresBackend({ url }, { listen: false }),
        new RegExp(
          `version ${SCHEMA_VERSION + 1}, newer than this tether's ${SCHEMA_VERSION}: upgrade`,
        ),
      );
      await assert.rejects(migratePostgres(url), /newer than this tether's/, "nor migrated down");
    } finally {
      await sql.end({ timeout: 1 });
    }
  },
);

itPostgres("migrations run once: again, and from two clients at once, change nothing", async () => {
  const url = await freshDatabase();
  const first = clientOf(url);
  try {
    const found = await Promise.all([migratePostgres(url), migratePostgres(url)]);
    assert.deepEqual(found.sort(), [0, SCHEMA_VERSION], "one migrated, the other found it done");
    assert.equal(await migratePostgres(url), SCHEMA_VERSION);
    const rows = await first`SELECT version FROM tether_schema ORDER BY version`;
    assert.deepEqual(
      rows.map((row) => row.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      "each step recorded once",
    );
  } finally {
    await first.end({ timeout: 1 });
  }
});

itPostgres("scripts/postgres_migrate.ts migrates the database at the URL given", async () => {
  const url = await freshDatabase();
  const run = () =>
    new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        process.versions.deno !== undefined
          ? ["run", "-A", "scripts/postgres_migrate.ts", url]
          : ["scripts/postgres_migrate.ts", url],
        { timeout: 30_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message} ${stderr}`)) : resolve(stdout),
      );
    });
  assert.match(await run(), new RegExp(`migrated from version 0 to ${SCHEMA_VERSION}`));
  assert.match(await run(), new RegExp(`already at version ${SCHEMA_VERSION}`));
  const backend = await createPostgresBackend({ url }, { listen: false });
  await backend.close();
});

itPostgres(
  "a Postgres that cannot be reached at startup: a clear error without the password",
  async () => {
    const port = await freeRigPort(); // nothing listens there
    const url = `postgres://app:s3cret@127.0.0.1:${port}/app`;
    const error = await within(
      createPostgresBackend({ url }, { connectTimeoutMs: 2_000 }).then(() => undefined, (e) => e),
      10_000,
      "the startup failure",
    );
    assert.ok(error instanceof Error);
    assert.match(
      error.message,
      new RegExp(`cannot reach Postgres at postgres://app@127\\.0\\.0\\.1:${port}/app`),
    );
    assert.doesNotMatch(error.message, /s3cret/);
  },
);
