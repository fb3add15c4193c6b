/** The in-memory event log: ids naming their stream, replay within one stream and session, bounds. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  eventIdPrefix,
  formatEventId,
  MemoryEventLog,
  parseEventId,
} from "../../../../src/storage/event_log/event_log.ts";

describe("event ids", () => {
  it("format and parse <stream>:<seq>", () => {
    assert.equal(formatEventId("abc", 3), "abc:3");
    assert.deepEqual(parseEventId("abc:3"), { streamId: "abc", seq: 3 });
    assert.deepEqual(parseEventId("a:b:4"), { streamId: "a:b", seq: 4 });
  });

  it("a stream's id prefix followed by a number is that event's id", () => {
    for (const [stream, seq] of [["abc", 0], ["x.y-1", 42], ["a:b", 7]] as const) {
      assert.equal(`${eventIdPrefix(stream)}${seq}`, formatEventId(stream, seq));
      assert.deepEqual(parseEventId(`${eventIdPrefix(stream)}${seq}`), { streamId: stream, seq });
    }
  });

  it("malformed ids parse to undefined", () => {
    for (
      const id of [
        "",
        "abc",
        ":3",
        "abc:",
        "abc:x",
        "abc:-1",
        "abc:1.5",
        "abc: 1",
        `abc:${"9".repeat(16)}`,
        `${"s".repeat(200)}:1`,
      ]
    ) {
      assert.equal(parseEventId(id), undefined, JSON.stringify(id));
    }
  });
});

describe("MemoryEventLog", () => {
  it("append returns increasing ids starting at 1 (0 is the priming event)", async () => {
    const log = new MemoryEventLog();
    await log.open("s", "A");
    assert.equal(await log.append("s", "A", "1"), "A:1");
    assert.equal(await log.append("s", "A", "2"), "A:2");
  });

  it("replays only events after the id, from the same stream", async () => {
    const log = new MemoryEventLog();
    await log.append("s", "A", "a1");
    await log.append("s", "B", "b1");
    await log.append("s", "A", "a2");
    await log.append("s", "B", "b2");
    await log.append("s", "A", "a3");
    const replay = await log.replayAfter("s", "A:1");
    assert.equal(replay?.streamId, "A");
    assert.deepEqual(replay?.events, [{ id: "A:2", data: "a2" }, { id: "A:3", data: "a3" }]);
    assert.equal(replay?.complete, false);
    assert.deepEqual((await log.replayAfter("s", "B:0"))?.events.map((e) => e.data), ["b1", "b2"]);
    assert.deepEqual((await log.replayAfter("s", "A:3"))?.events, []);
  });

  it("a registered stream with no events can be resumed from its priming id", async () => {
    const log = new MemoryEventLog();
    await log.open("s", "A");
    assert.deepEqual(await log.replayAfter("s", "A:0"), {
      streamId: "A",
      events: [],
      complete: false,
    });
  });

  it("malformed, unknown-stream and future ids replay nothing (undefined)", async () => {
    const log = new MemoryEventLog();
    await log.append("s", "A", "a1");
    assert.equal(await log.replayAfter("s", "garbage"), undefined);
    assert.equal(await log.replayAfter("s", "A:x"), undefined);
    assert.equal(await log.replayAfter("s", "Z:0"), undefined);
    assert.equal(await log.replayAfter("s", "A:5"), undefined);
  });

  it("another session's event id finds nothing", async () => {
    const log = new MemoryEventLog();
    await log.append("victim", "A", "secret");
    assert.equal(await log.replayAfter("attacker", "A:0"), undefined);
  });

  it("complete marks the stream as ended", async () => {
    const log = new MemoryEventLog();
    await log.append("s", "A", "a1");
    await log.complete("s", "A");
    assert.equal((await log.replayAfter("s", "A:0"))?.complete, true);
  });

  it("drops the oldest events past maxEventsPerStream", async () => {
    const log = new MemoryEventLog({ maxEventsPerStream: 3 });
    for (let i = 1; i <= 5; i++) await log.append("s", "A", `e${i}`);
    assert.deepEqual((await log.replayAfter("s", "A:0"))?.events.map((e) => e.data), [
      "e3",
      "e4",
      "e5",
    ]);
    assert.deepEqual((await log.replayAfter("s", "A:3"))?.events.map((e) => e.data), ["e4", "e5"]);
    // Sequence numbers keep counting after drops.
    assert.equal(await log.append("s", "A", "e6"), "A:6");
  });

  it("drops the oldest stream past maxStreamsPerSession", async () => {
    const log = new MemoryEventLog({ maxStreamsPerSession: 2 });
    await log.append("s", "A", "a");
    await log.append("s", "B", "b");
    await log.append("s", "C", "c");
    assert.equal(await log.replayAfter("s", "A:0"), undefined);
    assert.ok(await log.replayAfter("s", "B:0"));
    assert.ok(await log.replayAfter("s", "C:0"));
  });

  it("deleteSession forgets only that session", async () => {
    const log = new MemoryEventLog();
    await log.append("s1", "A", "x");
    await log.append("s2", "A", "y");
    await log.deleteSession("s1");
    assert.equal(await log.replayAfter("s1", "A:0"), undefined);
    assert.deepEqual((await log.replayAfter("s2", "A:0"))?.events.map((e) => e.data), ["y"]);
  });
});
