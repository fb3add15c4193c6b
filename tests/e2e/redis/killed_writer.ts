/**
 * The first half the instance-loss tests share: the fixture
 * (examples/everything.ts) as a process of its own on Redis runs a streamed
 * call (the `slow` tool with a progress token); three progress events are
 * read; then the process is `kill -9`ed, leaving an instance of this process
 * (on the same Redis and prefix) to resume the stream on. What the resume
 * must show is each test's. Not a test file itself.
 */
import assert from "node:assert/strict";
import { startFixtureProcess } from "./fixture_process.ts";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { rawInitialize, rawPost, SseReader } from "../interop/helpers.ts";
import type { TestRedis } from "./redis_server.ts";

/** The principal of the session (the fixture takes any bearer token as its name). */
export const bearer = { authorization: "Bearer alice" };

/** The JSON-RPC id of the streamed call. */
export const CALL_ID = 7;

/** A streamed call whose writer was killed, and the instance left to resume it on. */
export interface KilledWriter {
  /** The surviving instance's endpoint (`…/mcp`). */
  survivor: string;
  /** The session the call ran in. */
  session: string;
  /** The id of the last event read before the kill. */
  lastEventId: string;
  /** The progress values read before the kill (three, in order). */
  progress: number[];
  /** Closes the surviving instance: its handler, server and backend. */
  close(): Promise<void>;
}

/**
 * Starts the fixture on `redis` under `prefix` with `env` (e.g.
 * `INSTANCE_TIMEOUT_MS`, `BUS_ALIVE_MS`), and an instance here with the
 * same `instanceTimeoutMs` and bus `aliveMs`; runs the streamed call on the
 * fixture, reads three progress events, and kills the fixture (deadline
 * 10 s for its exit). The fixture processes are killed by
 * `killFixtureProcesses()` in the file's `after()` if this fails.
 */
export async function killWriterMidStream(
  redis: TestRedis,
  { prefix, instanceTimeoutMs, busAliveMs }: {
    prefix: string;
    instanceTimeoutMs: number;
    busAliveMs?: number;
  },
): Promise<KilledWriter> {
  const fixture = await startFixtureProcess({
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    INSTANCE_TIMEOUT_MS: String(instanceTimeoutMs),
    ...(busAliveMs === undefined ? {} : { BUS_ALIVE_MS: String(busAliveMs) }),
  });
  const backend = await createRedisBackend({ url: redis.url }, {
    prefix,
    onError: () => {},
    eventLog: { instanceTimeoutMs },
    ...(busAliveMs === undefined ? {} : { bus: { aliveMs: busAliveMs } }),
  });
  const handler = createEverythingHandler({}, backend);
  const server = await serveHandler(handler, 0);
  const close = async () => {
    await handler.close();
    await server.close();
    await backend.close();
  };
  try {
    const session = await rawInitialize(fixture.url, { headers: bearer });
    const { reader: first, progress, lastEventId } = await startSlowCall(
      fixture.url,
      session,
      10_000,
    );
    await fixture.kill();
    await first.cancel();
    return { survivor: `${server.url}/mcp`, session, lastEventId, progress, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A streamed call of the `slow` tool, read up to its third progress event. */
export interface StartedSlowCall {
  /** The call's SSE body, positioned after the third progress event. */
  reader: SseReader;
  /** The progress values read (three, in order). */
  progress: number[];
  /** The id of the last event read. */
  lastEventId: string;
}

/**
 * Posts the `slow` tool (`steps` steps of 20 ms, progress token `p`, id
 * {@linkcode CALL_ID}) as {@linkcode bearer} in `session` at `url`, checks
 * it answers 200 with a stream, and reads that stream up to its third
 * progress event. What is done with the stream then is the caller's.
 */
export async function startSlowCall(
  url: string,
  session: string,
  steps: number,
): Promise<StartedSlowCall> {
  const call = await rawPost(url, session, {
    jsonrpc: "2.0",
    id: CALL_ID,
    method: "tools/call",
    params: { name: "slow", arguments: { steps, intervalMs: 20 }, _meta: { progressToken: "p" } },
  }, { headers: bearer });
  assert.equal(call.status, 200);
  const reader = new SseReader(call.body);
  const progress: number[] = [];
  let lastEventId: string | undefined;
  while (progress.length < 3) {
    const event = await reader.next();
    assert.ok(event !== undefined, "the stream ended before its third progress event");
    lastEventId = event.id ?? lastEventId;
    if (event.data !== "") progress.push(JSON.parse(event.data).params.progress);
  }
  return { reader, progress, lastEventId: lastEventId! };
}
