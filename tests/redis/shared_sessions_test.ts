/**
 * Two tether instances sharing one Redis session store: a session opened on
 * one is served by the other (its ctx.session state too), owner binding
 * holds on both, and a DELETE on one ends it for both. Real redis-server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { defineTool, type Principal } from "../../mod.ts";
import { RedisSessionStore } from "../../src/redis/redis_session_store.ts";
import { bodilessRequest, initialize, makeHandler, rpc } from "../helpers.ts";
import { startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const increment = defineTool({
  name: "increment",
  handler: async (_input, ctx) => String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1)),
});

function instance(prefix: string) {
  return makeHandler({
    tools: [increment],
    authenticate: (request): Principal | undefined => {
      const user = request.headers.get("x-user");
      return user === null ? undefined : { id: user };
    },
    sessions: { store: new RedisSessionStore(redis.client, { prefix }) },
  });
}

describe("sessions shared through Redis", () => {
  it("any instance serves any session: state, owner binding and DELETE hold across instances", async () => {
    const a = instance("shared1:");
    const b = instance("shared1:");
    try {
      const session = await initialize(a, { headers: { "x-user": "alice" } });
      const counts: string[] = [];
      for (const handler of [b, a, b, a, b]) {
        counts.push((await rpc(handler, session, "tools/call", { name: "increment" })).message.result.content[0].text);
      }
      assert.deepEqual(counts, ["1", "2", "3", "4", "5"]);
      // Owner binding on the other instance.
      const hijack = await rpc(b, { ...session, headers: { "x-user": "mallory" } }, "tools/call", { name: "increment" });
      assert.equal(hijack.status, 403);
      // A DELETE on one instance ends the session on the other.
      const deleted = await b(bodilessRequest("DELETE", { sessionId: session.id, protocolVersion: session.protocolVersion, headers: session.headers }));
      assert.equal(deleted.status, 204);
      assert.equal((await rpc(a, session, "tools/call", { name: "increment" })).status, 404);
      assert.equal((await a.stats()).sessions, 0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("instances with another prefix do not see each other's sessions", async () => {
    const a = instance("tenant-a:");
    const b = instance("tenant-b:");
    try {
      const session = await initialize(a, { headers: { "x-user": "alice" } });
      assert.equal((await rpc(b, session, "tools/call", { name: "increment" })).status, 404);
      assert.equal((await rpc(a, session, "tools/call", { name: "increment" })).status, 200, "positive control");
    } finally {
      await a.close();
      await b.close();
    }
  });
});
