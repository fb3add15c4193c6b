/**
 * Two tether instances sharing one Redis session store: a session opened on
 * one is served by the other (its ctx.session state too), owner binding
 * holds on both, and a DELETE on one ends it for both; a stream cut on one is
 * resumed on the other from the shared event log. Real redis-server.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { defineTool, type Principal } from "../../../mod.ts";
import { RedisEventLog } from "../../../src/redis/event_log/redis_event_log.ts";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
import {
  bodilessRequest,
  deferred,
  initialize,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  resumeRequest,
  rpc,
  until,
} from "../../helpers.ts";
import { describeRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const increment = defineTool({
  name: "increment",
  handler: async (_input, ctx) =>
    String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1)),
});

function instance(prefix: string) {
  return makeHandler({
    tools: [increment],
    auth: {
      authenticate: (request): Principal | undefined => {
        const user = request.headers.get("x-user");
        return user === null ? undefined : { id: user };
      },
    },
    sessions: { store: new RedisSessionStore(redis.client, { prefix }) },
  });
}

describeRedis("sessions shared through Redis", () => {
  it("any instance serves any session: state, owner binding and DELETE hold across instances", async () => {
    const a = instance("shared1:");
    const b = instance("shared1:");
    try {
      const session = await initialize(a, { headers: { "x-user": "alice" } });
      const counts: string[] = [];
      for (const handler of [b, a, b, a, b]) {
        counts.push(
          (await rpc(handler, session, "tools/call", { name: "increment" })).message.result
            .content[0].text,
        );
      }
      assert.deepEqual(counts, ["1", "2", "3", "4", "5"]);
      // Owner binding on the other instance.
      const hijack = await rpc(b, { ...session, headers: { "x-user": "mallory" } }, "tools/call", {
        name: "increment",
      });
      assert.equal(hijack.status, 403);
      // A DELETE on one instance ends the session on the other.
      const deleted = await b(
        bodilessRequest("DELETE", {
          sessionId: session.id,
          protocolVersion: session.protocolVersion,
          headers: session.headers,
        }),
      );
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
      assert.equal(
        (await rpc(a, session, "tools/call", { name: "increment" })).status,
        200,
        "positive control",
      );
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describeRedis("streams logged in Redis", () => {
  it("a stream cut on one instance is resumed on another, which replays the rest from Redis", async () => {
    const finished = deferred();
    const tool = defineTool({
      name: "report",
      handler: async (_input, ctx) => {
        await ctx.progress(1, 3);
        ctx.closeStream(); // the client must resume, possibly elsewhere
        await ctx.progress(2, 3);
        await ctx.progress(3, 3);
        finished.resolve();
        return "reported";
      },
    });
    const make = () =>
      makeHandler({
        tools: [tool],
        streams: {
          heartbeatMs: 0,
          eventLog: new RedisEventLog(redis.client, { prefix: "streams:" }),
        },
        sessions: { store: new RedisSessionStore(redis.client, { prefix: "streams:" }) },
      });
    const a = make();
    const b = make();
    try {
      const session = await initialize(a);
      const response = await a(postRequest(
        {
          jsonrpc: "2.0",
          id: 7,
          method: "tools/call",
          params: { name: "report", _meta: { progressToken: "p" } },
        },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      const first = await readSseUntil(response.body!.getReader(), () => false, 2_000);
      assert.equal(first.ended, true, "the first connection was closed by the tool");
      const lastEventId = first.events.filter((event) => event.id !== undefined).at(-1)!.id!;
      assert.deepEqual(messagesOf(first.events).map((m) => m.params?.progress), [1]);
      await finished.promise;
      const resumed = await b(resumeRequest(session, lastEventId));
      assert.equal(resumed.status, 200);
      const rest = await readSseUntil(resumed.body!.getReader(), () => false, 2_000);
      const messages = messagesOf(rest.events);
      assert.deepEqual(
        messages.filter((m) => m.method === "notifications/progress").map((m) => m.params.progress),
        [2, 3],
      );
      assert.equal(messages.find((m) => m.id === 7)?.result?.content[0].text, "reported");
      assert.equal(
        rest.ended,
        true,
        "the stream ended on the other instance: it holds nothing live",
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a call whose answer the Redis log dropped gets an error when resumed on another instance", async () => {
    const budget = 4_096;
    const tool = defineTool({
      name: "report",
      handler: (_input, ctx) => {
        ctx.closeStream(); // the client must resume, possibly elsewhere
        return "r".repeat(2 * budget); // over the session's budget alone: dropped as it is logged
      },
    });
    const make = () =>
      makeHandler({
        tools: [tool],
        streams: {
          heartbeatMs: 0,
          eventLog: new RedisEventLog(redis.client, {
            prefix: "dropped:",
            maxBytesPerSession: budget,
          }),
        },
        sessions: { store: new RedisSessionStore(redis.client, { prefix: "dropped:" }) },
      });
    const a = make();
    const b = make();
    try {
      const session = await initialize(a);
      const response = await a(postRequest(
        { jsonrpc: "2.0", id: "call-9", method: "tools/call", params: { name: "report" } },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      const first = await readSseUntil(response.body!.getReader(), () => false, 2_000);
      assert.equal(first.ended, true, "the first connection was closed by the tool");
      assert.deepEqual(messagesOf(first.events), [], "the answer went to the log only");
      const primingId = first.events[0].id!;
      await until(async () => {
        const replay = await new RedisEventLog(redis.client, { prefix: "dropped:" })
          .replayAfter(session.id, primingId);
        return replay?.complete === true;
      }, "the call to end in the log");
      const resumed = await b(resumeRequest(session, primingId));
      assert.equal(resumed.status, 200);
      const reader = resumed.body!.getReader();
      const got = await readSseUntil(reader, (events) => messagesOf(events).length > 0, 2_000);
      assert.deepEqual(messagesOf(got.events).map((m) => [m.id, m.error?.code, m.result]), [[
        "call-9",
        -32603,
        undefined,
      ]]);
      await reader.cancel();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
