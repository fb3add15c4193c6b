/**
 * The memory log's held events (held_events.ts) and the streams it stores
 * whole: a batch counted in one pass keeps exact UTF-8 sizes when it is not
 * ASCII; a stream held packed replays, trims by events and bytes, and takes
 * later appends exactly as one stored event by event.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  dataAt,
  heldCount,
  type HeldEvents,
  holdEvent,
  holdEvents,
  holdPacked,
  type PackedEvents,
  releaseOldest,
  sizeAt,
} from "../../../../src/storage/event_log/held_events.ts";
import { MemoryEventLog } from "../../../../src/storage/mod.ts";

const MIXED = ["ab", "é", "😀x", "\ud800", "日本"]; // 2, 2, 5, 3 (a lone surrogate: U+FFFD), 6 bytes
const MIXED_SIZES = [2, 2, 5, 3, 6];

function empty(): HeldEvents {
  return { data: [], sizes: [], packed: undefined };
}

describe("held events", () => {
  for (const pack of [false, true]) {
    it(`a non-ASCII batch keeps each event's exact UTF-8 size (${pack ? "packed" : "one by one"})`, () => {
      const held = empty();
      assert.equal(holdEvents(held, MIXED, pack), 18);
      assert.equal(heldCount(held), MIXED.length);
      assert.deepEqual(MIXED.map((_, i) => sizeAt(held, i)), MIXED_SIZES);
      assert.deepEqual(MIXED.map((_, i) => dataAt(held, i)), MIXED);
    });
  }

  it("lets go of a packed stream's text with its last event, and keeps it while one is held", () => {
    const packed: PackedEvents = { text: "abcdef", starts: [0, 3], ends: [3, 6], sizes: undefined };
    const held = empty();
    assert.equal(holdPacked(held, packed), true);
    assert.equal(releaseOldest(held, 1), 3);
    assert.equal(dataAt(held, 0), "def");
    assert.equal(packed.text, "abcdef");
    const whole: PackedEvents = { text: "abcdef", starts: [0, 3], ends: [3, 6], sizes: undefined };
    const other = empty();
    holdPacked(other, whole);
    assert.equal(releaseOldest(other, 2), 6);
    assert.equal(heldCount(other), 0);
    assert.equal(whole.text, "");
  });

  it("the halves of a surrogate pair in two events count apart, as stored alone", () => {
    const held = empty();
    assert.equal(holdEvents(held, ["a\ud83d", "\ude00b"], true), 8);
    assert.deepEqual([sizeAt(held, 0), sizeAt(held, 1)], [4, 4]);
  });

  it("an ASCII batch's sizes are its events' lengths", () => {
    const held = empty();
    assert.equal(holdEvents(held, ["{}", "abc", ""], true), 5);
    assert.deepEqual([0, 1, 2].map((i) => sizeAt(held, i)), [2, 3, 0]);
    assert.deepEqual([0, 1, 2].map((i) => dataAt(held, i)), ["{}", "abc", ""]);
  });

  it("packed events released in part, then appended to, keep order and sizes", () => {
    const held = empty();
    holdEvents(held, MIXED, true);
    assert.equal(releaseOldest(held, 2), 4);
    assert.equal(holdEvent(held, "ü"), 2);
    assert.equal(releaseOldest(held, 0), 0);
    assert.deepEqual([0, 1, 2, 3].map((i) => dataAt(held, i)), ["😀x", "\ud800", "日本", "ü"]);
    assert.deepEqual([0, 1, 2, 3].map((i) => sizeAt(held, i)), [5, 3, 6, 2]);
    assert.equal(releaseOldest(held, 4), 16);
    assert.equal(heldCount(held), 0);
  });
});

describe("MemoryEventLog: a stream written whole", () => {
  it("counts a non-ASCII stream's UTF-8 bytes exactly, and gives them back when it goes", async () => {
    const log = new MemoryEventLog();
    await log.appendMany("s", "a", MIXED, { complete: true });
    assert.equal(log.totalBytes, 18);
    await log.appendMany("s", "b", ["x", "y"], { complete: true });
    assert.equal(log.totalBytes, 20);
    await log.deleteSession("s");
    assert.equal(log.totalBytes, 0);
  });

  it("replays from any of its ids, and is reported complete", async () => {
    const log = new MemoryEventLog();
    const ids = await log.appendMany("s", "a", MIXED, { complete: true });
    assert.deepEqual(ids, ["a:1", "a:2", "a:3", "a:4", "a:5"]);
    for (let i = 0; i <= MIXED.length; i++) {
      const replay = await log.replayAfter("s", `a:${i}`);
      assert.deepEqual(replay?.events.map((event) => event.data), MIXED.slice(i));
      assert.deepEqual(replay?.events.map((event) => event.id), ids.slice(i));
      assert.equal(replay?.complete, true);
    }
  });

  it("keeps maxEventsPerStream: the oldest events go", async () => {
    const log = new MemoryEventLog({ maxEventsPerStream: 3 });
    await log.appendMany("s", "a", MIXED, { complete: true });
    const replay = await log.replayAfter("s", "a:0");
    assert.deepEqual(replay?.events.map((event) => event.id), ["a:3", "a:4", "a:5"]);
    assert.equal(log.totalBytes, 14);
  });

  it("keeps maxBytesPerSession by its events' UTF-8 bytes, oldest first", async () => {
    const log = new MemoryEventLog({ maxBytesPerSession: 1_000 });
    await log.appendMany("s", "a", ["é".repeat(200), "x".repeat(400), "ü".repeat(200)], {
      complete: true,
    }); // 1,200 bytes (400 + 400 + 400): the first event goes
    const replay = await log.replayAfter("s", "a:0");
    assert.deepEqual(replay?.events.map((event) => event.id), ["a:2", "a:3"]);
    assert.deepEqual(replay?.events.map((event) => event.data[0]), ["x", "ü"]);
    assert.equal(log.totalBytes, 800);
  });

  it("a later append to it follows its events", async () => {
    const log = new MemoryEventLog();
    await log.appendMany("s", "a", ["one", "two"], { complete: true });
    assert.equal(await log.append("s", "a", "three"), "a:3");
    assert.deepEqual(await log.appendMany("s", "a", ["four", "fünf"]), ["a:4", "a:5"]);
    const replay = await log.replayAfter("s", "a:1");
    assert.deepEqual(replay?.events.map((event) => event.data), ["two", "three", "four", "fünf"]);
    assert.equal(log.totalBytes, 3 + 3 + 5 + 4 + 5);
  });
});
