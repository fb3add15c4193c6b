/**
 * No stranded streams: Redis is paused (`CLIENT PAUSE … WRITE`) while a
 * streamed call runs, so its next event cannot be logged and the live
 * stream ends with `-32603`. Once Redis answers again the writer records the
 * stream's end with that error (retried, bounded), so a `Last-Event-ID`
 * resume on another instance ends with an answer for the call's id within
 * 30 s instead of staying open with keepalives for as long as the writer
 * lives.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createClient } from "redis";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import {
  bodilessRequest,
  deferred,
  initialize,
  messagesOf,
  postRequest,
  readSseUntil,
} from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

const COMMAND_TIMEOUT_MS = 500;
/** Just past the deadline (three times it, for a loaded machine): the writes fail on it. */
const PAUSE_MS = 3 * COMMAND_TIMEOUT_MS;

describeRedis("a stream cut by a storage fault", () => {
  let redis: TestRedis;
  before(async () => {
    if (redisSkip === false) redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  itRedis("a resume on another instance ends with an answer for the call's id", async () => {
    const gate = deferred();
    const instance = async (): Promise<{ handler: McpHandler; backend: RedisBackend }> => {
      const backend = await createRedisBackend({ url: redis.url }, {
        prefix: "stranded:",
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
        onError: () => {},
        bus: { blockMs: 200 },
      });
      const handler = createMcpHandler({
        name: "stranded",
        version: "1.0.0",
        observe: {
          onError: () => {},
        },
        streams: {
          heartbeatMs: 0,
          responseMode: "sse",
          eventLog: backend.eventLog,
        },
        sessions: { store: backend.sessionStore },
        bus: backend.bus,
        tools: [
          defineTool({
            name: "two-steps",
            handler: async (_input, ctx) => {
              await ctx.progress(1, 2);
              await gate.promise;
              await ctx.progress(2, 2).catch(() => {});
              // Long work: it stops when its signal aborts (the stream could not be logged).
              if (!ctx.signal.aborted) {
                await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
              }
              return "stopped";
            },
          }),
        ],
      });
      return { handler, backend };
    };
    const [a, b] = [await instance(), await instance()];
    const control = createClient({ url: redis.url });
    control.on("error", () => {});
    await control.connect();
    try {
      const session = await initialize(a.handler);
      const headers = { sessionId: session.id, protocolVersion: session.protocolVersion };
      const response = await a.handler(postRequest({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "two-steps", _meta: { progressToken: "p" } },
      }, headers));
      assert.equal(response.status, 200);
      const live = response.body!.getReader();
      const first = await readSseUntil(live, (events) => messagesOf(events).length >= 1, 10_000);
      const progressId = first.events.find((event) => event.id !== undefined)?.id;
      assert.ok(progressId, "the progress event has an id to resume from");

      await control.sendCommand(["CLIENT", "PAUSE", String(PAUSE_MS), "WRITE"]);
      gate.resolve();
      const cut = await readSseUntil(live, () => false, 10_000);
      assert.ok(cut.ended, "the live stream ended");
      const liveError = messagesOf(cut.events).find((message) => message.id === 7);
      assert.equal(liveError?.error?.code, -32603, "positive control: the fault cut the stream");

      // Another instance, once Redis answers again: the resume ends with an answer for id 7.
      const resumeOnB = () =>
        b.handler(bodilessRequest("GET", { ...headers, headers: { "last-event-id": progressId } }));
      let resumed = await resumeOnB();
      for (const deadline = Date.now() + 10_000; resumed.status === 503;) {
        await resumed.body?.cancel();
        assert.ok(Date.now() < deadline, "Redis answers again within 10 s");
        await new Promise((resolve) => setTimeout(resolve, 200));
        resumed = await resumeOnB();
      }
      assert.equal(resumed.status, 200);
      const reader = resumed.body!.getReader();
      const replay = await readSseUntil(
        reader,
        (events) => messagesOf(events).some((message) => message.id === 7),
        30_000,
      );
      const answer = messagesOf(replay.events).find((message) => message.id === 7);
      assert.ok(answer, "the resume carries an answer for the call's id within 30 s");
      assert.ok(answer.result !== undefined || answer.error !== undefined);
      await reader.cancel().catch(() => {});
    } finally {
      control.destroy();
      for (const { handler, backend } of [a, b]) {
        await handler.close({ graceMs: 0 });
        await backend.close();
      }
    }
  });
});
