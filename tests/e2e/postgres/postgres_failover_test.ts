/**
 * A standby promoted: instances on a multi-host URL
 * (`postgres://u@primary,standby/db?target_session_attrs=read-write`) write to the primary
 * whichever host is listed first; when the primary stops and the standby is promoted
 * (`pg_ctl promote`), requests meanwhile are `503` + `Retry-After`, then the same instances
 * serve again without a restart, with the sessions the standby had replayed, and their
 * listeners listen on the new primary. Real PostgreSQL 15 with streaming replication.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import {
  createPostgresBackend,
  type PostgresBackend,
} from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import { initialize, postRequest, until, within } from "../../helpers.ts";
import { count, handlerOn, runFlows } from "./postgres_flows.ts";
import {
  describePostgres,
  itPostgres,
  postgresSkip,
  startPostgres,
  type TestPostgres,
} from "./postgres_server.ts";
import { startStandby, type TestStandby } from "./postgres_standby.ts";

describePostgres("a standby promoted", () => {
  let primary: TestPostgres | undefined;
  let standby: TestStandby | undefined;
  const backends: PostgresBackend[] = [];
  before(async () => {
    if (postgresSkip !== false) return;
    primary = await startPostgres();
    await migratePostgres(primary.url);
    standby = await startStandby(primary);
  });
  after(async () => {
    await Promise.all(backends.map((backend) => backend.close()));
    await standby?.stop();
    await primary?.stop();
  });

  /** The multi-host URL with `first` listed first. */
  const urlOf = (first: TestPostgres, second: TestPostgres) =>
    `postgres://postgres@127.0.0.1:${first.port},127.0.0.1:${second.port}/postgres` +
    "?target_session_attrs=read-write";

  async function backendOn(url: string, namespace: string) {
    const backend = await createPostgresBackend({ url }, {
      namespace,
      statementTimeoutMs: 3_000,
      connectTimeoutMs: 3_000,
      onError: () => {},
    });
    backends.push(backend);
    return backend;
  }

  itPostgres("the standby listed first: every instance writes to the primary", async () => {
    const url = urlOf(standby!, primary!);
    const a = handlerOn(await backendOn(url, "standby-first"));
    const b = handlerOn(await backendOn(url, "standby-first"));
    try {
      await runFlows(a, b, "standby-first");
    } finally {
      await a.close();
      await b.close();
    }
  });

  itPostgres(
    "primary stopped, standby promoted: 503s, then the same instances serve, sessions kept, listening again",
    async () => {
      const url = urlOf(primary!, standby!);
      const backendA = await backendOn(url, "failover");
      const backendB = await backendOn(url, "failover");
      const a = handlerOn(backendA);
      const b = handlerOn(backendB);
      const woken: string[] = [];
      backendA.wakeups.on("tether_probe", (payload) => woken.push(payload));
      try {
        await until(() => backendA.wakeups.listening, "the listener to listen", 5_000, 20);
        const session = await initialize(a, { headers: { "x-user": "alice" } });
        assert.equal(await count(b, session), "1");
        await runFlows(a, b, "before");
        await standby!.caughtUp();
        await primary!.halt("fast");

        // Meanwhile: refused at once with 503 + Retry-After, never a hang.
        const refused = await within(
          a(postRequest(
            { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "increment" } },
            {
              sessionId: session.id,
              protocolVersion: session.protocolVersion,
              headers: session.headers,
            },
          )),
          10_000,
          "a refusal, not a hang",
        );
        await refused.body?.cancel();
        assert.equal(refused.status, 503);
        assert.equal(refused.headers.get("retry-after"), "1");

        await standby!.promote();
        // The same instances, not restarted: the session made before the failover, its state.
        let answer = "";
        await until(
          async () => (answer = await count(b, session)) === "2",
          `the session served after the promotion (last answer ${answer})`,
          20_000,
          100,
        );
        assert.equal(await count(a, session), "3");
        await runFlows(a, b, "after");

        // The listener listens on the new primary: a wake-up sent there arrives.
        await until(() => backendA.wakeups.listening, "the listener to listen again", 15_000, 50);
        const listeners = await standby!.psql(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tether listener'",
        );
        assert.ok(Number(listeners) >= 1, "a listening connection on the promoted standby");
        backendB.wakeups.notify("tether_probe", "after-failover");
        await until(
          () => woken.includes("after-failover"),
          "the wake-up through the new primary",
          5_000,
          20,
        );
      } finally {
        await a.close();
        await b.close();
      }
    },
  );
});
