/**
 * The fixture's Postgres environment (examples/everything.ts): POSTGRES_URL names the database,
 * and beside a Redis form it is refused. Then the fixture as processes of its own on one real
 * PostgreSQL 15 it migrates itself: a session issued by one copy is served by another with its
 * state, and RATE_LIMIT_PER_PRINCIPAL is one budget across the copies.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { postgresUrlFromEnv, redisSourceFromEnv } from "../../../examples/everything.ts";
import { killFixtureProcesses, startFixtureProcess } from "../redis/fixture_process.ts";
import { rawInitialize, rawPost } from "../interop/helpers.ts";
import {
  describePostgres,
  itPostgres,
  postgresSkip,
  startPostgres,
  type TestPostgres,
} from "./postgres_server.ts";

const bearer = { authorization: "Bearer alice" };
/** How long a fixture process may take to start (it migrates first), ms. */
const READY_MS = 60_000;

it("the fixture's Postgres URL from the environment; with a Redis form it is refused", () => {
  assert.equal(postgresUrlFromEnv({}), undefined);
  assert.equal(postgresUrlFromEnv({ POSTGRES_URL: "" }), undefined);
  assert.equal(postgresUrlFromEnv({ POSTGRES_URL: "postgres://h/db" }), "postgres://h/db");
  for (const redis of [{ REDIS_URL: "redis://h:1" }, { REDIS_CLUSTER_NODES: "h:2" }]) {
    const env = { POSTGRES_URL: "postgres://h/db", ...redis };
    assert.throws(() => postgresUrlFromEnv(env), /set one of .*POSTGRES_URL, not several/);
    assert.throws(() => redisSourceFromEnv(env), /set one of .*POSTGRES_URL, not several/);
  }
});

describePostgres("the fixture on Postgres", () => {
  let server: TestPostgres | undefined;
  before(async () => {
    if (postgresSkip !== false) return;
    server = await startPostgres(); // not migrated: the fixture runs the migration
  });
  after(async () => {
    await killFixtureProcesses();
    await server?.stop();
  });

  const increment = (id: number) => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "increment", arguments: {} },
  });

  itPostgres(
    "POSTGRES_URL: copies share sessions, their state and the rate-limit budget",
    async () => {
      const env = {
        POSTGRES_URL: server!.url,
        POSTGRES_NAMESPACE: "fx",
        RATE_LIMIT_PER_PRINCIPAL: "6",
      };
      // Started one after the other: a loaded machine starts two at once slowly.
      const one = await startFixtureProcess(env, READY_MS);
      const two = await startFixtureProcess(env, READY_MS);
      const session = await rawInitialize(one.url, { headers: bearer });
      const texts: string[] = [];
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const response = await rawPost(i % 2 === 0 ? two.url : one.url, session, increment(i), {
          headers: bearer,
        });
        const body = await response.text();
        statuses.push(response.status);
        texts.push(/"text":"(\d+)"/.exec(body)?.[1] ?? "");
      }
      // 6 a minute (one back every 10 s): the handshake spent one, 5 calls across both copies,
      // then both refuse.
      const served = statuses.filter((status) => status === 200).length;
      assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200], String(statuses));
      assert.equal(statuses.at(-1), 429, String(statuses));
      assert.ok(served <= 6, String(statuses));
      assert.deepEqual(
        texts.slice(0, served),
        Array.from({ length: served }, (_, i) => String(i + 1)),
        "one session state across the copies",
      );
      const unknown = await rawPost(two.url, "no-such-session", increment(9), {
        headers: { authorization: "Bearer bob" },
      });
      await unknown.body?.cancel();
      assert.equal(unknown.status, 404, "positive control: an unknown session is 404");
      const rows = await server!.psql(
        "SELECT count(*) FROM tether_sessions WHERE namespace = 'fx'",
      );
      assert.equal(rows.trim(), "1", "the session is a row of the fixture's namespace");
    },
  );

  itPostgres("POSTGRES_URL beside REDIS_URL: the fixture refuses to start", async () => {
    await assert.rejects(
      startFixtureProcess(
        { POSTGRES_URL: server!.url, REDIS_URL: "redis://127.0.0.1:1" },
        READY_MS,
      ),
      /set one of REDIS_URL, POSTGRES_URL, not several/,
    );
  });
});
