/**
 * Two tether instances (two handlers, each with its own backend: its own pool and listener) on
 * one Postgres: a session opened on one is served by the other with its `ctx.session` state,
 * owner binding holds on both, a DELETE on one ends it for both, a namespace sees only its own
 * sessions, the share per principal counts across instances, and one rate-limit budget is spent
 * across both. Real PostgreSQL 15.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { defineTool, type Principal } from "../../../mod.ts";
import {
  createPostgresBackend,
  type PostgresBackend,
} from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
import {
  bodilessRequest,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  rpc,
} from "../../helpers.ts";
import { itPostgres, postgresSkip, startPostgres, type TestPostgres } from "./postgres_server.ts";

let server: TestPostgres | undefined;
const backends: PostgresBackend[] = [];
before(async () => {
  if (postgresSkip !== false) return;
  server = await startPostgres();
  await migratePostgres(server.url);
});
after(async () => {
  await Promise.all(backends.map((backend) => backend.close()));
  await server?.stop();
});

const increment = defineTool({
  name: "increment",
  handler: async (_input, ctx) =>
    String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1)),
});

/** One instance: a handler on a backend of its own in `namespace`. */
async function instance(namespace: string, options: Parameters<typeof makeHandler>[0] = {}) {
  const backend = await createPostgresBackend({ url: server!.url }, { namespace });
  backends.push(backend);
  return makeHandler({
    tools: [increment],
    auth: {
      authenticate: (request): Principal | undefined => {
        const user = request.headers.get("x-user");
        return user === null ? undefined : { id: user };
      },
    },
    ...options,
    sessions: { ...options.sessions, store: backend.sessionStore },
    limits: {
      rateLimits: {
        perPrincipal: { limit: 8, windowSeconds: 3_600 },
        store: backend.rateLimitStore,
      },
      ...options.limits,
    },
  });
}

itPostgres(
  "any instance serves any session: state, owner binding and DELETE hold across instances",
  async () => {
    const a = await instance("shared");
    const b = await instance("shared");
    const other = await instance("elsewhere");
    try {
      const session = await initialize(a, { headers: { "x-user": "alice" } });
      const counts: string[] = [];
      for (const handler of [b, a, b, a]) {
        counts.push(
          (await rpc(handler, session, "tools/call", { name: "increment" })).message.result
            .content[0].text,
        );
      }
      assert.deepEqual(counts, ["1", "2", "3", "4"]);
      const hijack = await rpc(b, { ...session, headers: { "x-user": "mallory" } }, "tools/call", {
        name: "increment",
      });
      assert.equal(hijack.status, 403, "owner binding on the other instance");
      assert.equal(
        (await rpc(other, session, "tools/call", { name: "increment" })).status,
        404,
        "another namespace does not see it",
      );
      const deleted = await b(bodilessRequest("DELETE", {
        sessionId: session.id,
        protocolVersion: session.protocolVersion,
        headers: session.headers,
      }));
      assert.equal(deleted.status, 204);
      assert.equal((await rpc(a, session, "tools/call", { name: "increment" })).status, 404);
    } finally {
      await a.close();
      await b.close();
      await other.close();
    }
  },
);

itPostgres(
  "the share per principal and the rate-limit budget are counted across instances",
  async () => {
    const shared = { sessions: { maxSessionsPerPrincipal: 2 } };
    const a = await instance("shares", shared);
    const b = await instance("shares", shared);
    try {
      await initialize(a, { headers: { "x-user": "alice" } });
      await initialize(b, { headers: { "x-user": "alice" } });
      const third = await a(postRequest(initializeMessage(), { headers: { "x-user": "alice" } }));
      assert.equal(third.status, 429, "alice's third session on either instance is refused");
      await third.body?.cancel();
      await initialize(a, { headers: { "x-user": "bob" } }); // positive control: bob has his own
      // 8 requests an hour per principal: alice spent 2 initializes and 1 refused one; the rest
      // of her budget is spent across both instances, then both refuse.
      const bob = await initialize(b, { headers: { "x-user": "bob" } });
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const handler = i % 2 === 0 ? a : b;
        statuses.push((await rpc(handler, bob, "tools/call", { name: "increment" })).status);
      }
      assert.equal(
        statuses.filter((status) => status === 200).length,
        6,
        "bob's 8 minus 2 initializes",
      );
      assert.deepEqual(statuses.slice(6), [429, 429]);
    } finally {
      await a.close();
      await b.close();
    }
  },
);
