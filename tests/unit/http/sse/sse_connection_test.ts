/**
 * SseConnection's buffer bound: unread bytes up to `maxBufferedBytes` are kept, the write that
 * passes it drops the connection ("overflow"), and a resume's backlog is not held against it.
 * The body's stream keeps a high-water mark of 0 (Bun sizes a response's buffer from it), so the
 * bound is the connection's own arithmetic: these pin it to the byte. Its end is told to `onEnd`
 * and to its watcher (an object, the hub's way: no closure per connection).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ConnectionEnd, SseConnection } from "../../../../src/http/sse/sse_connection.ts";

/** A connection whose head (a `: connected` comment) is already joined to the first write. */
function open(maxBufferedBytes: number, ends: ConnectionEnd[]): SseConnection {
  return new SseConnection({ maxBufferedBytes, onEnd: (reason) => ends.push(reason) });
}

const HEAD = ": connected\n\n";

describe("SseConnection buffer bound", () => {
  it("keeps exactly maxBufferedBytes unread bytes and drops the connection on the byte past them", () => {
    const ends: ConnectionEnd[] = [];
    const filled = open(HEAD.length + 100, ends);
    assert.equal(filled.writeRaw("x".repeat(100)), true);
    assert.equal(filled.ended, false);
    assert.equal(filled.writeRaw("y"), false);
    assert.equal(filled.ended, true);
    assert.deepEqual(ends, ["overflow"]);
  });

  it("does not hold a resume's backlog against the bound, and bounds the live writes after it", () => {
    const ends: ConnectionEnd[] = [];
    const resumed = open(10, ends);
    assert.equal(resumed.writeBacklog("z".repeat(1000)), true);
    assert.equal(resumed.writeRaw("a".repeat(9)), true);
    assert.equal(resumed.ended, false);
    assert.equal(resumed.writeRaw("b"), false);
    assert.deepEqual(ends, ["overflow"]);
  });

  it("frees the bound as the reader reads", async () => {
    const ends: ConnectionEnd[] = [];
    const read = open(HEAD.length + 100, ends);
    assert.equal(read.writeRaw("x".repeat(100)), true);
    const reader = read.body.getReader();
    const first = await reader.read();
    assert.equal(first.value?.byteLength, HEAD.length + 100);
    assert.equal(read.writeRaw("y".repeat(100)), true);
    assert.equal(read.ended, false);
    read.close();
    assert.deepEqual(ends, ["closed"]);
  });
});

describe("SseConnection watcher", () => {
  it("tells its watcher once, with the connection and why it ended, as it tells onEnd", async () => {
    const told: [SseConnection, ConnectionEnd][] = [];
    const ends: ConnectionEnd[] = [];
    const watcher = {
      connectionEnded: (c: SseConnection, r: ConnectionEnd) => void told.push([c, r]),
    };
    const closed = new SseConnection({
      maxBufferedBytes: 100,
      watcher,
      onEnd: (r) => ends.push(r),
    });
    closed.close();
    closed.close();
    const gone = new SseConnection({ maxBufferedBytes: 100, watcher });
    await gone.body.cancel();
    assert.deepEqual(told, [[closed, "closed"], [gone, "client-gone"]]);
    assert.deepEqual(ends, ["closed"]);
  });
});
