/**
 * The Redis floor (bench/servers/floor_redis.ts) keeps the promises the scale-out rows charge to
 * it, across two instances on one Redis: a session made on one is served on the other; every event
 * of a stream written on one is replayed by the other after a `Last-Event-ID`; a cancel posted to
 * the other ends the call where it runs; and it sends Redis only what it says (counts of
 * `INFO commandstats`: 1 command per JSON call, 15 per burst 10-progress call). The floors run on
 * Node 24, as the bench starts them, whichever runtime runs this test.
 */

import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { type ServerProcess, startServer } from "../../../bench/lib/proc.ts";
import { parseCommandstats } from "../../../bench/lib/commandstats.ts";
import { initialize, post, type Target } from "../../../bench/scale_out/calls.ts";
import { MCP_PATH } from "../../../bench/lib/protocol.ts";
import { freeRigPort } from "../../../scripts/rig_processes.ts";
import { describeRedis, startRedis, type TestRedis } from "../redis/redis_server.ts";

/** How long a cancelled call's stream may take to end. */
const END_WITHIN_MS = 5_000;

const call = (id: number, name: string, args: Record<string, unknown> = {}) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: args, _meta: { progressToken: `p${id}` } },
  });

/** The SSE events of a body: id and data. */
const eventsOf = (text: string) =>
  text.split("\n\n").filter((event) => event.includes("data: {")).map((event) => ({
    id: /^id: (.*)$/m.exec(event)![1],
    data: JSON.parse(/^data: (.*)$/m.exec(event)![1]),
  }));

describeRedis("the Redis floor on two instances", () => {
  let redis: TestRedis;
  const floors: ServerProcess[] = [];
  let a: Target;
  let b: Target;
  const commands = async () =>
    parseCommandstats(String(await redis.client.sendCommand(["INFO", "commandstats"]))).commands;

  before(async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) {
      const args = ["--redis", redis.url, "--prefix", "floortest:"];
      floors.push(
        await startServer("node", "bench/servers/floor_redis.ts", args, {
          port: await freeRigPort(),
        }),
      );
    }
    const [urlA, urlB] = floors.map((floor) => `http://127.0.0.1:${floor.port}${MCP_PATH}`);
    const sessionId = await initialize(urlA);
    a = { url: urlA, sessionId };
    b = { url: urlB, sessionId };
  });

  after(async () => {
    for (const floor of floors) await floor.stop();
    await redis?.stop();
  });

  it("serves a session made on one instance on the other, and refuses an unknown one", async () => {
    const answer = await post(b, call(1, "echo", { text: "hello" }));
    assert.equal(answer.status, 200);
    assert.deepEqual((await answer.json()).result.content, [{ type: "text", text: "hello" }]);
    const unknown = await post({ url: b.url, sessionId: "nobody" }, call(2, "echo", { text: "" }));
    assert.equal(unknown.status, 404);
    await unknown.text();
  });

  it("sends Redis one command per JSON call and 15 per burst 10-progress call", async () => {
    let before = await commands();
    const answer = await post(a, call(3, "echo", { text: "hello" }));
    await answer.text();
    // The INFO itself is not counted.
    assert.equal(await commands() - before, 1);
    before = await commands();
    const burst = await post(b, call(4, "progress10"));
    const events = eventsOf(await burst.text());
    assert.equal(events.length, 11);
    assert.equal(events[10].data.result.content[0].text, "done");
    // GETEX and the route's SET, 11 XADDs, the events key's PEXPIRE, the route's DEL.
    assert.equal(await commands() - before, 15);
  });

  it("replays every event after a Last-Event-ID on the other instance, in order", async () => {
    const answer = await post(a, call(5, "progress10spread"));
    const events = eventsOf(await answer.text());
    assert.deepEqual(events.map((event) => event.data.params?.progress), [
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
      undefined,
    ]);
    const resumed = await fetch(b.url, {
      headers: { "mcp-session-id": b.sessionId, "last-event-id": events[2].id },
    });
    assert.equal(resumed.status, 200);
    assert.deepEqual(eventsOf(await resumed.text()), events.slice(3));
  });

  it("ends a call on its instance when the cancel is posted to the other", async () => {
    const answer = await post(a, call(6, "progress10spread"));
    const reader = answer.body!.getReader();
    // The priming event, then the first progress: the call runs on A.
    let text = "";
    while (!text.includes('"progress":1,')) {
      const { value, done } = await reader.read();
      assert.equal(done, false);
      text += new TextDecoder().decode(value);
    }
    const cancel = await post(
      b,
      JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 6 },
      }),
    );
    assert.equal(cancel.status, 202);
    await cancel.text();
    const deadline = AbortSignal.timeout(END_WITHIN_MS);
    for (;;) {
      const { value, done } = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) =>
          deadline.addEventListener("abort", () => reject(new Error("the stream did not end")))
        ),
      ]);
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assert.ok(!text.includes('"result"'), "a cancelled call sends no answer");
    assert.ok(!text.includes('"progress":10,'), "the call stopped before its last tick");
  });
});
