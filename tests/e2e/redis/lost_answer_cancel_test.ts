/**
 * A call still running on instance A whose stream the shared event log no
 * longer holds (the session keeps one stream; a later call pushed it out),
 * resumed from `Last-Event-ID` on instance B: B answers the call's id with
 * the "send the request again" error, and the run on A is cancelled through
 * the bus at once, not after A's orphan timeout, so the resent request does
 * not run beside it. Real redis-server, two handlers on one backend each.
 */
import { after, before } from "node:test";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { untilAborted } from "../../helpers.ts";
import { assertLostAnswerCancels } from "../../support/lost_answer.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

describeRedis("a lost answer resumed on another instance", () => {
  let redis: TestRedis;
  before(async () => {
    if (redisSkip === false) redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  itRedis("B answers the error and the run on A is cancelled at once", async () => {
    const waits = untilAborted("waits");
    const instance = async (): Promise<{ handler: McpHandler; backend: RedisBackend }> => {
      const backend = await createRedisBackend({ url: redis.url }, {
        prefix: "lost-answer:",
        onError: () => {},
        bus: { blockMs: 200 },
        eventLog: { maxStreamsPerSession: 1 },
      });
      const handler = createMcpHandler({
        name: "lost-answer",
        version: "1.0.0",
        observe: { onError: () => {} },
        // The orphan timeout is far off: only the cancellation can stop the run in time.
        streams: {
          heartbeatMs: 0,
          responseMode: "sse",
          orphanTimeoutMs: 60_000,
          eventLog: backend.eventLog,
        },
        sessions: { store: backend.sessionStore },
        bus: backend.bus,
        tools: [waits.tool, defineTool({ name: "small", handler: () => "kept" })],
      });
      return { handler, backend };
    };
    const [a, b] = [await instance(), await instance()];
    try {
      await assertLostAnswerCancels(a.handler, b.handler, waits.signal);
    } finally {
      for (const { handler, backend } of [a, b]) {
        await handler.close();
        await backend.close();
      }
    }
  });
});
