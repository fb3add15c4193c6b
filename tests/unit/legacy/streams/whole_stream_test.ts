/**
 * A whole stream's SSE body (whole_stream.ts) and its place in the memory
 * log: framed and counted once, each event's data found at its offsets,
 * its UTF-8 size exact whether the data is ASCII or not; stored whole only
 * in a stream that has numbered no event yet.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { frameWholeStream } from "../../../../src/legacy/streams/whole_stream.ts";
import { wholeStreamAppender } from "../../../../src/storage/event_log/memory_event_log.ts";
import { MemoryEventLog } from "../../../../src/storage/mod.ts";
import { stringifyJsonEvents } from "../../../../src/http/sse/sse.ts";

const ASCII = ['{"a":1}', '{"b":"two"}', "[]"];
const MIXED = ['{"a":"é"}', '{"b":"😀"}', '{"c":"日本"}'];
const ONE = ['{"large":"' + "x".repeat(70_000) + '"}'];
const ONE_MIXED = ['{"large":"' + "é".repeat(70_000) + '"}'];

describe("frameWholeStream", () => {
  for (
    const [name, data] of [
      ["ASCII", ASCII],
      ["not ASCII", MIXED],
      ["one event", ONE],
      ["one event, not ASCII", ONE_MIXED],
    ] as const
  ) {
    it(`frames, encodes and finds each event's data (${name})`, () => {
      for (const first of [1, 9, 99, 12345]) {
        const head = "id: s-1:0\nretry: 5\ndata: \n\n";
        const ids = data.map((_, i) => `s-1:${first + i}`);
        const body = frameWholeStream("s-1:", first, data, head);
        assert.equal(body.text, stringifyJsonEvents(ids, data, head));
        const { events } = body;
        assert.deepEqual(
          data.map((_, i) => events.text.slice(events.starts[i], events.ends[i])),
          data,
        );
        const sizes = data.map((item) => new TextEncoder().encode(item).length);
        assert.deepEqual(events.sizes ?? data.map((item) => item.length), sizes);
        assert.equal(body.dataBytes, sizes.reduce((sum, size) => sum + size, 0));
      }
    });
  }

  it("an ASCII stream's sizes are its events' lengths, without a list", () => {
    assert.equal(frameWholeStream("s:", 1, ASCII, "").events.sizes, undefined);
    assert.deepEqual(frameWholeStream("s:", 1, MIXED, "").events.sizes, [10, 12, 14]);
    assert.deepEqual(frameWholeStream("s:", 1, ONE_MIXED, "").events.sizes, [140_012]);
  });

  it("keeps several events' data in the body's text, and one event's data as itself", () => {
    const head = "id: s:0\nretry: 5\ndata: \n\n";
    const several = frameWholeStream("s:", 1, ASCII, head);
    assert.equal(several.events.text, several.text);
    const one = frameWholeStream("s:", 1, ONE, head);
    assert.equal(one.events.text, ONE[0]);
    assert.deepEqual([one.events.starts, one.events.ends], [[0], [ONE[0].length]]);
    assert.ok(one.text.length > ONE[0].length);
    assert.deepEqual(frameWholeStream("s:", 1, [], head), {
      text: head,
      events: { text: head, starts: [], ends: [], sizes: undefined },
      dataBytes: 0,
    });
  });
});

describe("the memory log's whole streams", () => {
  it("stores a new stream whole, ended, with ids from 1, and its exact bytes", async () => {
    const log = new MemoryEventLog();
    const appendWhole = wholeStreamAppender(log)!;
    const body = frameWholeStream("a:", 1, MIXED, "");
    assert.equal(appendWhole("s", "a", body.events, body.dataBytes), true);
    assert.equal(log.totalBytes, 36);
    const replay = await log.replayAfter("s", "a:1");
    assert.deepEqual(replay?.events, [{ id: "a:2", data: MIXED[1] }, {
      id: "a:3",
      data: MIXED[2],
    }]);
    assert.equal(replay?.complete, true);
  });

  it("stores nothing in a stream that has numbered events already", async () => {
    const log = new MemoryEventLog();
    await log.append("s", "a", "first");
    const body = frameWholeStream("a:", 1, ASCII, "");
    assert.equal(wholeStreamAppender(log)!("s", "a", body.events, body.dataBytes), false);
    assert.deepEqual((await log.replayAfter("s", "a:0"))?.events, [{ id: "a:1", data: "first" }]);
    assert.equal(log.totalBytes, 5);
  });

  it("a whole stream over the session budget takes none of the session's other streams' events", async () => {
    const log = new MemoryEventLog({ maxBytesPerSession: 100_000 });
    await log.append("s", "progress", '{"progress":1}');
    const body = frameWholeStream("big:", 1, [...ONE, ...ONE], "");
    assert.equal(wholeStreamAppender(log)!("s", "big", body.events, body.dataBytes), true);
    // 140 KB alone: its first event goes (70 KB then fits), the other stream keeps its one.
    assert.deepEqual((await log.replayAfter("s", "progress:0"))?.events.length, 1);
    assert.deepEqual((await log.replayAfter("s", "big:0"))?.events.map((e) => e.id), ["big:2"]);
    assert.equal(log.totalBytes, 14 + ONE[0].length);
  });

  it("is only offered by the memory log's own appendMany", () => {
    class Custom extends MemoryEventLog {
      override appendMany(...args: Parameters<MemoryEventLog["appendMany"]>) {
        return super.appendMany(...args);
      }
    }
    assert.equal(typeof wholeStreamAppender(new MemoryEventLog()), "function");
    assert.equal(wholeStreamAppender(new Custom()), undefined);
  });
});
