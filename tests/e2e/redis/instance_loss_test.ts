/**
 * `kill -9` of the instance running a tool mid-stream: the fixture
 * (examples/everything.ts) runs as its own process on Redis; the client
 * resumes its stream on a surviving instance (in this process), gets every
 * event that was persisted, then a JSON-RPC error once the dead instance's
 * heartbeat lapses, never a hang; the session itself lives on.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { killFixtureProcesses } from "./fixture_process.ts";
import { bearer, CALL_ID, killWriterMidStream } from "./killed_writer.ts";
import { rawGet, rawPost, type SseEvent, SseReader, WAIT_MS } from "../interop/helpers.ts";
import { itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

const INSTANCE_TIMEOUT_MS = 1_500;

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await killFixtureProcesses();
  await redis?.stop();
});

itRedis(
  "kill -9 mid-stream: the stream resumes elsewhere with every persisted event, then an error; the session lives on",
  async () => {
    const { survivor, session, lastEventId, progress, close } = await killWriterMidStream(redis, {
      prefix: "loss:",
      instanceTimeoutMs: INSTANCE_TIMEOUT_MS,
    });
    try {
      const resumed = await rawGet(survivor, session, { headers: bearer, lastEventId });
      assert.equal(resumed.status, 200);
      // Bounded reads: a stream that hung instead of ending would fail here.
      const rest: SseEvent[] = await new SseReader(resumed.body).rest(WAIT_MS);
      const messages = rest.map((event) => JSON.parse(event.data));
      const error = messages.pop();
      assert.equal(error.id, CALL_ID, "the error answers the call");
      assert.equal(error.error.code, -32603);
      assert.match(error.error.message, /stopped before answering/);
      for (const message of messages) {
        assert.equal(message.method, "notifications/progress");
        progress.push(message.params.progress);
      }
      assert.deepEqual(
        progress,
        Array.from({ length: progress.length }, (_, i) => i + 1),
        "every persisted event, in order, once",
      );

      const alive = await rawPost(survivor, session, {
        jsonrpc: "2.0",
        id: 8,
        method: "tools/call",
        params: { name: "increment", arguments: {} },
      }, { headers: bearer });
      assert.equal(alive.status, 200, "the session survives its instance");
      const text = await alive.text();
      assert.match(text, /"text":"1"/);
    } finally {
      await close();
    }
  },
);
