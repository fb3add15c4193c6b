/**
 * Two instances of a scale-out floor (bench/servers/floor_redis.ts, floor_postgres.ts) sharing one
 * store, and the promises both keep, checked the same way: a session made on one is served on the
 * other; every event of a stream written on one is replayed by the other after a
 * `Last-Event-ID`; a cancel posted to the other ends the call where it runs. Every answer is
 * awaited with a deadline. The floors run on Node 24, as the bench starts them. Not a test file
 * itself.
 * @module
 */

import assert from "node:assert/strict";
import { type ServerProcess, startServer } from "../../../bench/lib/proc.ts";
import { call, initialize, post, type Target } from "../../../bench/scale_out/calls.ts";
import { MCP_PATH } from "../../../bench/lib/protocol.ts";
import { freeRigPort } from "../../../scripts/rig_processes.ts";

/** How long a cancelled call's stream may take to end. */
const END_WITHIN_MS = 5_000;
/** The deadline of every other answer, whole. */
const ANSWER_WITHIN_MS = 10_000;
const deadline = () => AbortSignal.timeout(ANSWER_WITHIN_MS);

/** Tool call `id` of `name`, its progress token `p<id>`. */
export const floorCall = (id: number, name: string, args: Record<string, unknown> = {}): string =>
  call(id, name, args, `p${id}`);

/** POSTs `body` to `target`, answered within the deadline. */
export const postWithin = (target: Target, body: string): Promise<Response> =>
  post(target, body, deadline());

/** The SSE events of a body: id and data. */
// deno-lint-ignore no-explicit-any
export const eventsOf = (text: string): { id: string; data: any }[] =>
  text.split("\n\n").filter((event) => event.includes("data: {")).map((event) => ({
    id: /^id: (.*)$/m.exec(event)![1],
    data: JSON.parse(/^data: (.*)$/m.exec(event)![1]),
  }));

/** Two instances of a floor and one session, made on `a`. */
export interface FloorPair {
  a: Target;
  b: Target;
  stop(): Promise<void>;
}

/**
 * Starts `file` (a floor under bench/servers/) twice, instance `i` with `argsOf(i)`, and makes a
 * session on the first.
 *
 * @example
 * ```ts ignore (needs a running store)
 * const pair = await startFloorPair("bench/servers/floor_redis.ts", () => ["--redis", url]);
 * ```
 */
export async function startFloorPair(
  file: string,
  argsOf: (instance: number) => string[],
): Promise<FloorPair> {
  const floors: ServerProcess[] = [];
  const stop = async () => {
    for (const floor of floors) await floor.stop();
  };
  try {
    for (let i = 0; i < 2; i++) {
      floors.push(await startServer("node", file, argsOf(i), { port: await freeRigPort() }));
    }
    const [urlA, urlB] = floors.map((floor) => `http://127.0.0.1:${floor.port}${MCP_PATH}`);
    const sessionId = await initialize(urlA);
    return { a: { url: urlA, sessionId }, b: { url: urlB, sessionId }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A session made on `a` is served on `b`; an unknown one gets 404. */
export async function assertSessionShared({ b }: FloorPair): Promise<void> {
  const answer = await postWithin(b, floorCall(1, "echo", { text: "hello" }));
  assert.equal(answer.status, 200);
  assert.deepEqual((await answer.json()).result.content, [{ type: "text", text: "hello" }]);
  const unknown = await postWithin(
    { url: b.url, sessionId: "nobody" },
    floorCall(2, "echo", { text: "" }),
  );
  assert.equal(unknown.status, 404);
  await unknown.text();
}

/** A call of `name` on `a` (call `id`): its events, after a `Last-Event-ID`, replayed by `b`. */
export async function assertResumedOnOther(
  { a, b }: FloorPair,
  name: string,
  id: number,
): Promise<void> {
  const answer = await postWithin(a, floorCall(id, name));
  const events = eventsOf(await answer.text());
  assert.deepEqual(
    events.map((event) => event.data.params?.progress),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, undefined],
  );
  const resumed = await fetch(b.url, {
    headers: { "mcp-session-id": b.sessionId, "last-event-id": events[2].id },
    signal: deadline(),
  });
  assert.equal(resumed.status, 200);
  assert.deepEqual(eventsOf(await resumed.text()), events.slice(3), name);
}

/** A spread call running on `a` (call `id`) ends unanswered when its cancel is posted to `b`. */
export async function assertCancelledFromOther({ a, b }: FloorPair, id: number): Promise<void> {
  const answer = await postWithin(a, floorCall(id, "progress10spread"));
  const reader = answer.body!.getReader();
  const read = (within: AbortSignal, what: string) =>
    Promise.race([
      reader.read(),
      new Promise<never>((_, reject) =>
        within.addEventListener("abort", () => reject(new Error(what)))
      ),
    ]);
  // The priming event, then the first progress: the call runs on A.
  const started = deadline();
  let text = "";
  while (!text.includes('"progress":1,')) {
    const { value, done } = await read(started, "the call did not start");
    assert.equal(done, false);
    text += new TextDecoder().decode(value);
  }
  const cancel = await postWithin(
    b,
    JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: id },
    }),
  );
  assert.equal(cancel.status, 202);
  await cancel.text();
  const ended = AbortSignal.timeout(END_WITHIN_MS);
  for (;;) {
    const { value, done } = await read(ended, "the stream did not end");
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  assert.ok(!text.includes('"result"'), "a cancelled call sends no answer");
  assert.ok(!text.includes('"progress":10,'), "the call stopped before its last tick");
}
