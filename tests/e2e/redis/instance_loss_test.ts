/**
 * `kill -9` of the instance running a tool mid-stream: the fixture
 * (examples/everything.ts) runs as its own process on Redis; the client
 * resumes its stream on a surviving instance (in this process), gets every
 * event that was persisted, then a JSON-RPC error once the dead instance's
 * heartbeat lapses, never a hang; the session itself lives on.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import {
  type FixtureProcess,
  killFixtureProcesses,
  startFixtureProcess,
} from "./fixture_process.ts";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import {
  rawGet,
  rawInitialize,
  rawPost,
  type SseEvent,
  SseReader,
  WAIT_MS,
} from "../interop/helpers.ts";
import { itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

const INSTANCE_TIMEOUT_MS = 1_500;
const bearer = { authorization: "Bearer alice" };

let redis: TestRedis;
let fixture: FixtureProcess | undefined;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await killFixtureProcesses();
  await redis?.stop();
});

/** Starts the fixture on Redis as a process of its own; resolves with its endpoint. */
async function startFixture(prefix: string): Promise<string> {
  fixture = await startFixtureProcess({
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    INSTANCE_TIMEOUT_MS: String(INSTANCE_TIMEOUT_MS),
  });
  return fixture.url;
}

itRedis(
  "kill -9 mid-stream: the stream resumes elsewhere with every persisted event, then an error; the session lives on",
  async () => {
    const prefix = "loss:";
    const doomed = await startFixture(prefix);
    const backend = await createRedisBackend({ url: redis.url }, {
      prefix,
      onError: () => {},
      eventLog: { instanceTimeoutMs: INSTANCE_TIMEOUT_MS },
    });
    const handler = createEverythingHandler({}, backend);
    const server = await serveHandler(handler, 0);
    const survivor = `${server.url}/mcp`;
    try {
      const session = await rawInitialize(doomed, { headers: bearer });
      const call = await rawPost(doomed, session, {
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: {
          name: "slow",
          arguments: { steps: 10_000, intervalMs: 20 },
          _meta: { progressToken: "p" },
        },
      }, { headers: bearer });
      const first = new SseReader(call.body);
      const progress: number[] = [];
      let lastId: string | undefined;
      while (progress.length < 3) {
        const event = await first.next();
        assert.ok(event !== undefined);
        lastId = event.id ?? lastId;
        if (event.data !== "") progress.push(JSON.parse(event.data).params.progress);
      }
      await fixture!.kill();
      await first.cancel();

      const resumed = await rawGet(survivor, session, { headers: bearer, lastEventId: lastId! });
      assert.equal(resumed.status, 200);
      // Bounded reads: a stream that hung instead of ending would fail here.
      const rest: SseEvent[] = await new SseReader(resumed.body).rest(WAIT_MS);
      const messages = rest.map((event) => JSON.parse(event.data));
      const error = messages.pop();
      assert.equal(error.id, 7, "the error answers the call");
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
      await handler.close();
      await server.close();
      await backend.close();
    }
  },
);
