/**
 * The Redis floor (bench/servers/floor_redis.ts) keeps the promises the scale-out rows charge to
 * it, across two instances on one Redis: a session made on one is served on the other; every event
 * of a stream written on one is replayed by the other after a `Last-Event-ID`; a cancel posted to
 * the other ends the call where it runs (floor_pair.ts checks these three, as for the Postgres
 * floor); and it sends Redis only what it says (counts of `INFO commandstats`: 1 command per JSON
 * call, 15 per burst 10-progress call).
 */

import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { parseCommandstats } from "../../../bench/lib/commandstats.ts";
import { describeRedis, startRedis, type TestRedis } from "../redis/redis_server.ts";
import {
  assertCancelledFromOther,
  assertResumedOnOther,
  assertSessionShared,
  eventsOf,
  floorCall,
  type FloorPair,
  postWithin,
  startFloorPair,
} from "./floor_pair.ts";

describeRedis("the Redis floor on two instances", () => {
  let redis: TestRedis;
  let pair: FloorPair;
  const commands = async () =>
    parseCommandstats(String(await redis.client.sendCommand(["INFO", "commandstats"]))).commands;

  before(async () => {
    redis = await startRedis();
    pair = await startFloorPair(
      "bench/servers/floor_redis.ts",
      () => ["--redis", redis.url, "--prefix", "floortest:"],
    );
  });

  after(async () => {
    await pair?.stop();
    await redis?.stop();
  });

  it("serves a session made on one instance on the other, and refuses an unknown one", async () => {
    await assertSessionShared(pair);
  });

  it("sends Redis one command per JSON call and 15 per burst 10-progress call", async () => {
    let before = await commands();
    const answer = await postWithin(pair.a, floorCall(3, "echo", { text: "hello" }));
    await answer.text();
    // The INFO itself is not counted.
    assert.equal(await commands() - before, 1);
    before = await commands();
    const burst = await postWithin(pair.b, floorCall(4, "progress10"));
    const events = eventsOf(await burst.text());
    assert.equal(events.length, 11);
    assert.equal(events[10].data.result.content[0].text, "done");
    // GETEX and the route's SET, 11 XADDs, the events key's PEXPIRE, the route's DEL.
    assert.equal(await commands() - before, 15);
  });

  it("replays every event after a Last-Event-ID on the other instance, in order", async () => {
    await assertResumedOnOther(pair, "progress10spread", 5);
  });

  it("ends a call on its instance when the cancel is posted to the other", async () => {
    await assertCancelledFromOther(pair, 6);
  });
});
