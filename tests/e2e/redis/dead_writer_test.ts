/**
 * A follower of a dead writer ends on the writer's bus liveness, not on the
 * event log's heartbeat lapse: the fixture (examples/everything.ts) runs a
 * streamed call as its own process on Redis, with a heartbeat lapse
 * (`INSTANCE_TIMEOUT_MS`, 60 s) far longer than its bus liveness
 * (`BUS_ALIVE_MS`, 1.5 s); it is killed (`kill -9`), the client resumes on an
 * instance in this process, and the resumed stream ends with the call's
 * `-32603` well before the heartbeat could lapse; so does a second resume
 * of it, once the writer's liveness key is gone. And on the log alone: a
 * follower of a stream whose writer's bus liveness key is gone (its
 * heartbeat alive) gets `writerLost` at its first check, not at its
 * deadline; with the key there, it waits (the positive control).
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { killFixtureProcesses } from "./fixture_process.ts";
import { bearer, CALL_ID, killWriterMidStream } from "./killed_writer.ts";
import { RedisEventLog } from "../../../src/redis/event_log/redis_event_log.ts";
import { within } from "../../helpers.ts";
import { rawGet, type SseEvent, SseReader, withTimeout } from "../interop/helpers.ts";
import { itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

/** The event log's heartbeat lapse: the old wait, which the follower must not wait out. */
const INSTANCE_TIMEOUT_MS = 60_000;
/** The writer's bus liveness: the follower ends within it (plus a state check's second). */
const BUS_ALIVE_MS = 1_500;
/** The deadline of a resumed stream's end: well under the heartbeat lapse. */
const END_WITHIN_MS = 20_000;

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await killFixtureProcesses();
  await redis?.stop();
});

/** The messages of a resumed stream up to its end, which must come within `END_WITHIN_MS`. */
async function resumeToEnd(
  endpoint: string,
  session: string,
  lastEventId: string,
): Promise<Record<string, unknown>[]> {
  const resumed = await rawGet(endpoint, session, { headers: bearer, lastEventId });
  assert.equal(resumed.status, 200);
  const rest: SseEvent[] = await withTimeout(
    new SseReader(resumed.body).rest(END_WITHIN_MS),
    END_WITHIN_MS,
    `the resumed stream did not end within ${END_WITHIN_MS} ms (the heartbeat lapse is ${INSTANCE_TIMEOUT_MS} ms)`,
  );
  return rest.map((event) => JSON.parse(event.data));
}

itRedis(
  "kill -9 of a stream's writer: its follower ends with the call's -32603 on the writer's bus liveness, not the heartbeat lapse",
  async () => {
    const { survivor, session, lastEventId, close } = await killWriterMidStream(redis, {
      prefix: "deadwriter:",
      instanceTimeoutMs: INSTANCE_TIMEOUT_MS,
      busAliveMs: BUS_ALIVE_MS,
    });
    try {
      // Followed while the writer still counts as alive: ended once its liveness key lapses.
      const messages = await resumeToEnd(survivor, session, lastEventId);
      const error = messages.pop() as { id: number; error: { code: number; message: string } };
      assert.equal(error.id, CALL_ID, "the error answers the call");
      assert.equal(error.error.code, -32603);
      assert.match(error.error.message, /stopped before answering/);
      for (const message of messages) assert.equal(message.method, "notifications/progress");

      // Followed once the writer's liveness key is gone: ended too (at its first state check).
      const again = await resumeToEnd(survivor, session, lastEventId);
      assert.equal((again.at(-1) as { id: number }).id, CALL_ID);
      assert.equal((again.at(-1) as { error: { code: number } }).error.code, -32603);
    } finally {
      await close();
    }
  },
);

itRedis(
  "a follower of a stream whose writer's bus liveness key is gone gets writerLost at once, its heartbeat alive",
  async () => {
    const prefix = "deadwriterlog:";
    const logs: RedisEventLog[] = [];
    const logOf = (busInstance?: () => string | undefined) => {
      const log = new RedisEventLog(redis.client, {
        prefix,
        instanceTimeoutMs: INSTANCE_TIMEOUT_MS,
        openConnection: () => redis.openConnection(),
        busInstance,
      });
      logs.push(log);
      return log;
    };
    try {
      const follower = logOf();
      for (const [bus, alive] of [["live-bus", true], ["gone-bus", false]] as const) {
        if (alive) await redis.client.sendCommand(["SET", `${prefix}{bus:${bus}}:alive`, "1"]);
        const writer = logOf(() => bus);
        await writer.open("s", bus, { requestIds: [7] });
        const first = await writer.append("s", bus, "event");
        // A deadline far off: only a writer found gone ends the wait before it.
        const waited = follower.waitAfter("s", first, { timeoutMs: alive ? 1_500 : 60_000 });
        const reply = await within(waited, 10_000, "the follower's wait to end");
        if (alive) {
          assert.equal(reply?.writerLost, undefined, "a live writer: still running");
          assert.equal(reply?.complete, false);
        } else {
          assert.deepEqual(reply?.writerLost, { requestIds: [7] });
        }
      }
    } finally {
      for (const log of logs) await log.close();
    }
  },
);
