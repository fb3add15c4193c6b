/**
 * One path for local and remote, on a real Redis bus: what is local needs
 * no Redis (with the redis-server stopped, a cancellation, a client's reply
 * and a notify whose target this instance holds still work, in both eras),
 * and a broadcast published to Redis is acted on once by the instance that
 * sent it. The in-process version is tests/unit/bus/one_path_test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { createMcpHandler, type McpHandler } from "../../../mod.ts";
import { RedisBus } from "../../../src/redis/bus/redis_bus.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import {
  deferred,
  initialize,
  makeHandler,
  messagesOf,
  notify,
  openListening,
  postRequest,
  readSseUntil,
  until,
} from "../../helpers.ts";
import { modernNotification, modernRequest } from "../../support/modern_helpers.ts";
import { callAsk, callRequest, newProbe, tools } from "../../support/bus_tools.ts";
import { itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let shared: TestRedis;
before(async () => {
  if (redisSkip === false) shared = await startRedis();
});
after(async () => {
  await shared?.stop();
});

describe("one path for a message, on a Redis bus", () => {
  itRedis(
    "with Redis stopped, what this instance holds is still cancelled, answered and notified",
    async () => {
      const redis = await startRedis();
      const errors: unknown[] = [];
      const bus = new RedisBus(redis.client, () => redis.openConnection(), {
        prefix: "down:",
        blockMs: 200,
        onError: (error) => errors.push(error),
      });
      const probe = newProbe();
      let stopped = false;
      const handler = makeHandler({ tools: tools(probe), bus, observe: { onError: () => {} } });
      try {
        const session = await initialize(handler, { capabilities: { elicitation: {} } });
        const reader = await openListening(handler, session); // subscribed by now
        const hold = handler(callRequest(session, 7, "hold"));
        await probe.started.promise;
        const { reader: asking, elicit } = await callAsk(handler, session);
        await redis.stop();
        stopped = true;

        const cancelled = await notify(handler, session, "notifications/cancelled", {
          requestId: 7,
        });
        assert.equal(cancelled.status, 202);
        await until(() => probe.reasons.length === 1, "the call was cancelled");
        assert.deepEqual(probe.reasons, ["cancelled"]);
        await (await hold).body?.cancel();

        const reply = await handler(postRequest(
          { jsonrpc: "2.0", id: elicit.id, result: { action: "accept", content: { name: "Ada" } } },
          { sessionId: session.id, protocolVersion: session.protocolVersion },
        ));
        assert.equal(reply.status, 202);
        const rest = await readSseUntil(
          asking,
          (events) => messagesOf(events).some((m) => m.id === 1),
        );
        assert.equal(
          messagesOf(rest.events).find((m) => m.id === 1).result.content[0].text,
          "accept:Ada",
        );

        assert.equal(
          await handler.notify(session.id, {
            method: "notifications/message",
            params: { level: "info", data: "here" },
          }),
          true,
        );
        const { events } = await readSseUntil(reader, (events) => messagesOf(events).length === 1);
        assert.equal(messagesOf(events)[0].params.data, "here");

        probe.started = deferred<void>();
        const modernCall = handler(
          modernRequest("tools/call", { name: "hold", arguments: {} }, { id: "m-1" }),
        );
        await probe.started.promise;
        const modernCancel = await handler(
          modernNotification("notifications/cancelled", { requestId: "m-1" }),
        );
        assert.equal(modernCancel.status, 202);
        await until(() => probe.reasons.length === 2, "the 2026-07-28 call was cancelled");
        await (await modernCall).body?.cancel();

        // Control: a cancellation for work this instance does not hold needs the bus, which is down.
        const elsewhere = await notify(handler, session, "notifications/cancelled", {
          requestId: 99,
        });
        assert.equal(elsewhere.status, 503);
        await reader.cancel();
      } finally {
        await handler.close();
        await bus.close();
        if (!stopped) await redis.stop();
      }
    },
  );

  itRedis(
    "a broadcast published to Redis reaches the sending instance's own stream once",
    async () => {
      const backends: RedisBackend[] = [];
      const handlers: McpHandler[] = [];
      for (let i = 0; i < 2; i++) {
        const backend = await createRedisBackend({ url: shared.url }, {
          prefix: "once:",
          onError: () => {},
          bus: { blockMs: 200 },
        });
        backends.push(backend);
        handlers.push(createMcpHandler({
          name: "once",
          version: "1.0.0",
          tools: [],
          observe: {
            onError: () => {},
          },
          sessions: { store: backend.sessionStore },
          streams: {
            eventLog: backend.eventLog,
          },
          bus: backend.bus,
        }));
      }
      const [a, b] = handlers;
      try {
        const readerA = await openListening(a, await initialize(a));
        const readerB = await openListening(b, await initialize(b));
        const first = { method: "notifications/message", params: { level: "info", data: "first" } };
        const second = {
          method: "notifications/message",
          params: { level: "info", data: "second" },
        };
        assert.equal(await a.broadcast(first), 1, "A's own stream");
        await readSseUntil(readerB, (events) => messagesOf(events).length === 1, 5_000);
        // A reads the Redis stream in order: B's entry comes after A's own, so by "second" it has passed "first".
        assert.equal(await b.broadcast(second), 1, "B's own stream");
        const { events } = await readSseUntil(
          readerA,
          (events) => messagesOf(events).some((m) => m.params.data === "second"),
          5_000,
        );
        assert.deepEqual(messagesOf(events).map((m) => m.params.data), ["first", "second"]);
        await Promise.all([readerA.cancel(), readerB.cancel()]);
      } finally {
        await Promise.all(handlers.map((handler) => handler.close()));
        await Promise.all(backends.map((backend) => backend.close()));
      }
    },
  );
});
