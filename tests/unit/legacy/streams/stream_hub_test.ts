/**
 * The stream hub on its own, over the memory event log: opening a request
 * stream (primed or not), sending on it, resuming after an event id while
 * it runs, finishing it, the complete-body answer, the listening stream, and
 * the end of a session. Resumes of streams that already ended are in
 * tests/unit/legacy/streams/stream_hub_resume_test.ts.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryEventLog } from "../../../../src/storage/mod.ts";
import {
  type EventLog,
  formatEventId,
  parseEventId,
} from "../../../../src/storage/event_log/event_log.ts";
import { OrphanWatch } from "../../../../src/legacy/streams/orphan_watch.ts";
import { StreamHub } from "../../../../src/legacy/streams/stream_hub.ts";
import { messagesOf, parseSse, readSseUntil, type SseEvent, until } from "../../../helpers.ts";
import { KeepAlive } from "../../../../src/http/sse/keep_alive.ts";

const SESSION = "s1";

const hubs: StreamHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) {
    hub.closeAll();
    hub.orphans.close();
  }
});

function makeHub(eventLog: EventLog = new MemoryEventLog()): StreamHub {
  const hub = new StreamHub({
    eventLog,
    keepAlive: new KeepAlive(0),
    maxBufferedBytes: 1 << 20,
    retryMs: 1_500,
    orphans: new OrphanWatch(60_000),
    onError: (error) => {
      throw error;
    },
  });
  hubs.push(hub);
  return hub;
}

function note(label: string) {
  return { jsonrpc: "2.0" as const, method: "notifications/message", params: { data: label } };
}

function labelsOf(events: SseEvent[]): string[] {
  return messagesOf(events).map((message) => message.params?.data ?? `#${message.id}`);
}

function readerOf(response: Response): ReadableStreamDefaultReader<Uint8Array> {
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  return response.body!.getReader();
}

describe("stream hub: a request stream", () => {
  it("a primed stream starts with an event id, the retry hint and empty data", async () => {
    const hub = makeHub();
    const { stream, response } = await hub.openRequestStream(SESSION, true, [1]);
    const { events } = await readSseUntil(readerOf(response), (events) => events.length >= 1);
    assert.equal(events[0].data, "");
    assert.equal(events[0].retry, 1_500);
    assert.equal(parseEventId(events[0].id!)?.streamId, stream.streamId);
    assert.equal(events[0].id, formatEventId(stream.streamId, 0));
  });

  it("messages sent go out in order, each with a fresh event id of the stream; finish ends the connection", async () => {
    const hub = makeHub();
    const { stream, response } = await hub.openRequestStream(SESSION, false, [1]);
    const reader = readerOf(response);
    assert.equal(hub.connectionCount, 1);
    await stream.send(note("a"));
    await stream.send(note("b"));
    await stream.send({ jsonrpc: "2.0", id: 1, result: {} });
    await stream.finish();
    const { events, ended } = await readSseUntil(reader, () => false);
    assert.equal(ended, true);
    assert.deepEqual(labelsOf(events), ["a", "b", "#1"]);
    assert.equal(events.some((event) => event.data === ""), false, "no priming event unprimed");
    const ids = events.filter((event) => event.id !== undefined).map((event) => event.id!);
    assert.equal(new Set(ids).size, 3, "every message has its own event id");
    for (const id of ids) assert.equal(parseEventId(id)?.streamId, stream.streamId);
    assert.equal(stream.finished, true);
    await until(() => hub.connectionCount === 0, "the finished stream's connection to close");
    assert.equal(hub.holds(SESSION), false, "a finished stream is forgotten");
  });

  it("a resume after an event id replays only what came after it, then carries the live stream to its end", async () => {
    const hub = makeHub();
    const { stream, response } = await hub.openRequestStream(SESSION, true, [2]);
    const first = readerOf(response);
    await stream.send(note("a"));
    await stream.send(note("b"));
    const seen = await readSseUntil(first, (events) => labelsOf(events).length === 2);
    const afterA = seen.events.find((event) => labelsOf([event])[0] === "a")!.id!;
    await first.cancel(); // the client drops the connection; the stream runs on
    await until(() => !stream.connected, "the stream to notice the dropped connection");
    await stream.send(note("c")); // sent while no one is connected: logged for the resume

    const resumed = await hub.resume(SESSION, afterA);
    assert.ok(resumed !== undefined, "the id names a stream of this session");
    const reader = readerOf(resumed);
    const replay = await readSseUntil(reader, (events) => labelsOf(events).length === 2);
    assert.deepEqual(labelsOf(replay.events), ["b", "c"]);
    await stream.send({ jsonrpc: "2.0", id: 2, result: {} });
    await stream.finish();
    const rest = await readSseUntil(reader, () => false);
    assert.equal(rest.ended, true);
    assert.deepEqual(labelsOf(rest.events), ["#2"]);
  });

  it("a resume with an id that is not an event id, or names no stream of the session, is undefined", async () => {
    const hub = makeHub();
    const { stream } = await hub.openRequestStream(SESSION, true, [3]);
    assert.equal(await hub.resume(SESSION, "garbage"), undefined);
    assert.equal(await hub.resume(SESSION, formatEventId("nostream", 0)), undefined);
    assert.equal(
      await hub.resume("another-session", formatEventId(stream.streamId, 0)),
      undefined,
      "a stream is resumed only in its own session",
    );
  });

  it("a request stream's id names its one request: a resume the log has nothing for answers it with an error", async () => {
    const log = new MemoryEventLog();
    const hub = makeHub(log);
    const { stream } = await hub.openRequestStream(SESSION, true, ["call-7"]);
    await stream.send({ jsonrpc: "2.0", method: "notifications/message", params: { data: "a" } });
    const primingId = formatEventId(stream.streamId, 0);
    // Another session's resume of it names nothing there.
    assert.equal(await hub.resume("another-session", primingId), undefined);
    // Once the log has dropped it, the request the id names gets an error, and the connection
    // stays open, quietly.
    await log.deleteSession(SESSION);
    const resumed = await hub.resume(SESSION, primingId);
    assert.ok(resumed !== undefined);
    const got = await readSseUntil(readerOf(resumed), () => false, 200);
    assert.equal(got.ended, false, "kept open: a client would come straight back");
    assert.deepEqual(messagesOf(got.events).map((m) => [m.id, m.error?.code, m.params]), [[
      "call-7",
      -32603,
      undefined,
    ]]);
    assert.equal(got.events[0].id, undefined, "nothing to resume after the error");
  });
});

describe("stream hub: complete bodies, listening streams and session ends", () => {
  it("completeRequestStream answers known messages as one finished body, with ids to resume from", async () => {
    const hub = makeHub();
    const response = await hub.completeRequestStream(SESSION, true, [
      note("early"),
      { jsonrpc: "2.0", id: 4, result: {} },
    ]);
    const events = parseSse(await response.text());
    assert.equal(events[0].data, "", "primed");
    assert.deepEqual(labelsOf(events), ["early", "#4"]);
    const early = events.find((event) => labelsOf([event])[0] === "early")!.id!;
    const replayed = await hub.resume(SESSION, early);
    assert.deepEqual(labelsOf(parseSse(await replayed!.text())), ["#4"]);
    assert.equal(hub.connectionCount, 0, "nothing stays connected");
  });

  it("completeRequestStream goes through appendMany of a log that is not the memory log's own", async () => {
    const calls: string[][] = [];
    class Counted extends MemoryEventLog {
      override appendMany(...args: Parameters<MemoryEventLog["appendMany"]>): Promise<string[]> {
        calls.push([...args[2]]);
        return super.appendMany(...args);
      }
    }
    const hub = makeHub(new Counted());
    const response = await hub.completeRequestStream(SESSION, false, [note("a"), note("b")]);
    assert.deepEqual(labelsOf(parseSse(await response.text())), ["a", "b"]);
    assert.equal(calls.length, 1, "the subclass's appendMany was called");
  });

  it("completeRequestStream refuses an event id from a custom log that would break framing", async () => {
    const log = new MemoryEventLog();
    const custom: EventLog = {
      open: (s, id, info) => log.open(s, id, info),
      append: (s, id, data) => log.append(s, id, data),
      appendMany: async (s, id, data, options) => {
        const ids = await log.appendMany(s, id, data, options);
        return ids.map((eventId, i) => i === 1 ? `${eventId}\ndata: forged` : eventId);
      },
      complete: (s, id) => log.complete(s, id),
      replayAfter: (s, id) => log.replayAfter(s, id),
      deleteSession: (s) => log.deleteSession(s),
    };
    const hub = makeHub(custom);
    await assert.rejects(
      hub.completeRequestStream(SESSION, false, [note("a"), note("b")]),
      RangeError,
    );
  });

  it("completeRequestStream's ids from the memory log are the log's own, in order", async () => {
    const log = new MemoryEventLog();
    const hub = makeHub(log);
    const response = await hub.completeRequestStream(SESSION, true, [note("a"), note("b")]);
    const events = parseSse(await response.text()).filter((event) => event.data !== "");
    const parsed = events.map((event) => parseEventId(event.id!)!);
    assert.deepEqual(parsed.map((id) => id.seq), [1, 2]);
    assert.equal(events[0].id, formatEventId(parsed[0].streamId, 1));
    const replay = await log.replayAfter(SESSION, events[0].id!);
    assert.deepEqual(replay?.events.map((event) => event.id), [events[1].id]);
    assert.equal(replay?.complete, true);
  });

  for (const count of [1, 3]) {
    it(`completeRequestStream answers ${count} message(s) whole when the log drops them at once`, async () => {
      const log = new MemoryEventLog({ maxBytesPerSession: 64 });
      const hub = makeHub(log);
      const big = Array.from({ length: count }, (_, i) => note(`${i}:${"x".repeat(200)}`));
      const response = await hub.completeRequestStream(SESSION, true, big);
      const events = parseSse(await response.text());
      assert.deepEqual(labelsOf(events), big.map((message) => message.params.data));
      assert.equal(log.totalBytes, 0, "the log kept none of it");
      const last = events[events.length - 1].id!;
      assert.deepEqual((await log.replayAfter(SESSION, last))?.events, []);
    });
  }

  it("the listening stream carries what is sent on it; a new one supersedes the old one's connection", async () => {
    const hub = makeHub();
    const old = readerOf(await hub.openListening(SESSION, false));
    await hub.listening(SESSION)!.send(note("to old"));
    assert.deepEqual(
      labelsOf((await readSseUntil(old, (events) => labelsOf(events).length === 1)).events),
      ["to old"],
    );
    const fresh = readerOf(await hub.openListening(SESSION, false));
    assert.equal((await readSseUntil(old, () => false)).ended, true, "the old connection ends");
    await hub.listening(SESSION)!.send(note("to new"));
    assert.deepEqual(
      labelsOf((await readSseUntil(fresh, (events) => labelsOf(events).length === 1)).events),
      ["to new"],
    );
    assert.deepEqual(hub.listeningSessions(), [SESSION]);
  });

  it("endSession closes the session's connections and forgets its streams", async () => {
    const hub = makeHub();
    const request = await hub.openRequestStream(SESSION, false, [5]);
    const listening = readerOf(await hub.openListening(SESSION, false));
    const live = readerOf(request.response);
    assert.equal(hub.holds(SESSION), true);
    hub.endSession(SESSION);
    assert.equal((await readSseUntil(live, () => false)).ended, true);
    assert.equal((await readSseUntil(listening, () => false)).ended, true);
    assert.equal(hub.holds(SESSION), false);
    assert.equal(hub.listening(SESSION), undefined);
    await until(() => hub.connectionCount === 0, "the connections to be counted closed");
  });
});
