/**
 * Every instance `kill -9`ed: two fixtures (examples/everything.ts) run as
 * processes of their own on one Redis, with a short idle TTL, grace and bus
 * liveness injected through their environment; sessions with resumable
 * streams (streamed tool calls, so the event log holds entries) and a task
 * are made on both, then both are killed. With no instance left to sweep,
 * Redis alone must drop every key of the prefix (sessions, event log, budget
 * books, bus inboxes, liveness, tasks) within the idle TTL plus the grace
 * (and the bus's four liveness periods). Polls SCAN, with a deadline.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import {
  type FixtureProcess,
  killFixtureProcesses,
  startFixtureProcess,
} from "./fixture_process.ts";
import { rawInitialize, rawPost, SseReader } from "../interop/helpers.ts";
import { sleep, until } from "../../helpers.ts";
import { itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

const IDLE_MS = 3_000;
const GRACE_MS = 1_000;
const ALIVE_MS = 1_000;
const TASK_TTL_MS = 2_000;
/** The longest any key may live after the kill: the session's, or the bus's 4 liveness periods. */
const LONGEST_MS = Math.max(IDLE_MS + GRACE_MS, 4 * ALIVE_MS, TASK_TTL_MS);
const bearer = { authorization: "Bearer alice" };

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await killFixtureProcesses();
  await redis?.stop();
});

/** Starts the fixture on Redis as a process of its own; resolves with it and its endpoint. */
function startFixture(prefix: string): Promise<FixtureProcess> {
  return startFixtureProcess({
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    SESSION_IDLE_MS: String(IDLE_MS),
    SESSION_EXPIRY_GRACE_MS: String(GRACE_MS),
    BUS_ALIVE_MS: String(ALIVE_MS),
    INSTANCE_TIMEOUT_MS: String(ALIVE_MS),
  });
}

/** Every key under `prefix` (SCAN, not KEYS). */
async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.client.sendCommand([
      "SCAN",
      cursor,
      "MATCH",
      `${prefix}*`,
      "COUNT",
      "1000",
    ]) as [string, string[]];
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys.sort();
}

/** Starts a streamed call of `slow` on `url` and reads its first progress events (logged). */
async function streamedCall(url: string, session: string, id: number): Promise<SseReader> {
  const call = await rawPost(url, session, {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: {
      name: "slow",
      arguments: { steps: 10_000, intervalMs: 20 },
      _meta: { progressToken: `p${id}` },
    },
  }, { headers: bearer });
  assert.equal(call.status, 200);
  const reader = new SseReader(call.body);
  for (let seen = 0; seen < 3;) {
    const event = await reader.next();
    assert.ok(event !== undefined, "the stream ended early");
    if (event.data !== "") seen++;
  }
  return reader;
}

itRedis(
  "every instance kill -9ed: no key of the prefix outlives the idle TTL plus the grace",
  async () => {
    const prefix = "gone:";
    const [a, b] = await Promise.all([startFixture(prefix), startFixture(prefix)]);
    const onA = await rawInitialize(a.url, { headers: bearer });
    const onB = await rawInitialize(b.url, { headers: bearer });
    // Streams on both instances, one of them on the other instance's session.
    const readers = [
      await streamedCall(a.url, onA, 1),
      await streamedCall(b.url, onB, 2),
      await streamedCall(b.url, onA, 3),
    ];
    // Tasks: one running, one finished (its result counts in the result budget's keys).
    for (const [id, seconds] of [[4, 60], [5, 0]]) {
      const task = await rawPost(a.url, onA, {
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "slow_compute", arguments: { seconds }, task: { ttl: TASK_TTL_MS } },
      }, { headers: bearer });
      assert.equal(task.status, 200);
      assert.match(await task.text(), /"taskId"/);
    }

    // The positive control: a key of every family was written before the kill. Each counts once
    // seen, poll after poll, not in one snapshot: the event bytes are booked in batches
    // (budgetBatchMs, 1 s), and the writers' heartbeats and the bus's liveness keys (TTL 1 s,
    // refreshed every third of it) lapse for a moment whenever a loaded machine leaves both
    // fixtures unscheduled that long, then come back.
    const families = ["s:", "ev:", "em:", "es:", "eg:", "{bus:", "hb:", "task", "{tasks}:"];
    const seen = new Set<string>();
    let before: string[] = [];
    await until(
      async () => {
        before = await keysUnder(prefix);
        for (const family of families) {
          if (before.some((key) => key.startsWith(prefix + family))) seen.add(family);
        }
        return seen.size === families.length;
      },
      "a key of every family",
      10_000,
      50,
    ).catch(() => {});
    assert.deepEqual(
      families.filter((family) => !seen.has(family)),
      [],
      `a key of each family exists before the kill; the last poll: ${before.join(" ")}`,
    );
    await Promise.all([a.kill(), b.kill()]);
    for (const reader of readers) await reader.cancel();

    // Each key lapses by Redis's own clock: poll until none is left, up to the longest TTL
    // plus room for a loaded machine.
    const deadline = Date.now() + LONGEST_MS + 10_000;
    let left = await keysUnder(prefix);
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(200);
      left = await keysUnder(prefix);
    }
    assert.deepEqual(left, [], "keys left after every instance died");
  },
);
