/**
 * The stream hub, driven directly: a resume of a stream that ended without
 * an answer (a cancelled call) stays open quietly instead of closing (a
 * client would reconnect to it once a second for ever), and a new listening
 * GET starts a new listening stream, so the resume of an older one (the
 * take-back) neither replays what the new one delivered nor takes it over.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryEventLog } from "../../../../src/storage/mod.ts";
import { formatEventId, parseEventId } from "../../../../src/storage/event_log/event_log.ts";
import { requestStreamId } from "../../../../src/legacy/streams/request_stream_id.ts";
import { OrphanWatch } from "../../../../src/legacy/streams/orphan_watch.ts";
import { KeepAlive } from "../../../../src/http/sse/keep_alive.ts";
import { MAX_PARKED_PER_SESSION, StreamHub } from "../../../../src/legacy/streams/stream_hub.ts";
import {
  messagesOf,
  parseSse,
  readSseUntil,
  readTextUntil,
  type SseEvent,
  until,
} from "../../../helpers.ts";

const SESSION = "s1";

function makeHub(heartbeatMs = 10): StreamHub {
  return new StreamHub({
    eventLog: new MemoryEventLog(),
    keepAlive: new KeepAlive(heartbeatMs),
    maxBufferedBytes: 1 << 20,
    retryMs: 1_000,
    orphans: new OrphanWatch(60_000),
    onError: (error) => {
      throw error;
    },
  });
}

function readerOf(response: Response): ReadableStreamDefaultReader<Uint8Array> {
  assert.equal(response.status, 200);
  return response.body!.getReader();
}

/** Reads until a heartbeat comment (the connection is open and idle) or the end. */
async function idleOrEnded(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<{ text: string; ended: boolean }> {
  return await readTextUntil(reader, (text) => text.includes(": keepalive"), 3_000);
}

/** A notification with a label, for counting deliveries. */
function note(label: string) {
  return { jsonrpc: "2.0" as const, method: "notifications/message", params: { data: label } };
}

function labelsOf(events: SseEvent[]): string[] {
  return messagesOf(events).map((message) => message.params.data);
}

/**
 * Opens a request stream of `sessionId` answering `requestId`, reads its priming event, then
 * ends it without an answer (a cancelled call) and drops its connection; returns the priming id.
 */
async function cancelledStreamId(
  hub: StreamHub,
  sessionId: string,
  requestId: number,
): Promise<string> {
  const { stream, response } = await hub.openRequestStream(sessionId, true, [requestId]);
  const live = readerOf(response);
  const id = (await readSseUntil(live, (events) => events.length >= 1)).events[0].id!;
  await stream.finish();
  await live.cancel();
  return id;
}

describe("stream hub: resuming finished streams", () => {
  it("a resume of a stream that ended without an answer replays, then stays open with heartbeats only until the session ends", async () => {
    const hub = makeHub();
    try {
      const { stream, response } = await hub.openRequestStream(SESSION, true, [7]);
      const live = readerOf(response);
      await stream.send(note("progress"));
      const first = await readSseUntil(live, (events) => labelsOf(events).length === 1);
      const primingId = first.events[0].id!;
      await stream.finish(); // cancelled: no response was sent
      assert.equal((await readTextUntil(live, () => false)).ended, true);

      const resumed = await hub.resume(SESSION, primingId);
      const reader = readerOf(resumed!);
      const replay = await readSseUntil(reader, (events) => labelsOf(events).length === 1);
      assert.deepEqual(labelsOf(replay.events), ["progress"], "exactly the events after the id");
      const idle = await idleOrEnded(reader);
      assert.equal(idle.ended, false, "the resumed connection stays open");
      assert.match(idle.text, /: keepalive/);
      assert.equal(hub.connectionCount, 1, "it is counted as an open connection");

      hub.endSession(SESSION);
      assert.equal((await readTextUntil(reader, () => false)).ended, true, "DELETE/expiry ends it");
      assert.equal(hub.connectionCount, 0);
    } finally {
      hub.closeAll();
    }
  });

  it("a resume of a stream that carries its answer ends after the replay (positive control)", async () => {
    const hub = makeHub();
    try {
      const { stream, response } = await hub.openRequestStream(SESSION, true, [7]);
      const live = readerOf(response);
      const primingId = (await readSseUntil(live, (events) => events.length >= 1)).events[0].id!;
      await stream.send({ jsonrpc: "2.0", id: 7, result: {} });
      await stream.finish();
      await live.cancel();

      const reader = readerOf((await hub.resume(SESSION, primingId))!);
      const rest = await readSseUntil(reader, () => false, 3_000);
      assert.equal(rest.ended, true);
      assert.deepEqual(messagesOf(rest.events), [{ jsonrpc: "2.0", id: 7, result: {} }]);
      assert.equal(hub.connectionCount, 0);
    } finally {
      hub.closeAll();
    }
  });

  it("quiet connections are bounded per session: one more resume is refused with 409 and closes none, and close() ends them", async () => {
    const hub = makeHub(0);
    try {
      const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
      for (let i = 0; i < MAX_PARKED_PER_SESSION; i++) {
        readers.push(
          readerOf((await hub.resume(SESSION, await cancelledStreamId(hub, SESSION, i)))!),
        );
      }
      assert.equal(hub.connectionCount, MAX_PARKED_PER_SESSION);
      const refused = (await hub.resume(SESSION, await cancelledStreamId(hub, SESSION, 99)))!;
      assert.equal(refused.status, 409);
      const body = await refused.json() as { error?: { code?: number } };
      assert.equal(body.error?.code, -32600);
      assert.equal(hub.connectionCount, MAX_PARKED_PER_SESSION, "no quiet connection closed");
      // Another session has its own bound.
      const other = await cancelledStreamId(hub, "s2", 1);
      assert.equal((await hub.resume("s2", other))!.status, 200);
      assert.equal(hub.connectionCount, MAX_PARKED_PER_SESSION + 1);

      hub.closeAll();
      for (const reader of readers) {
        assert.equal((await readTextUntil(reader, () => false)).ended, true);
      }
      assert.equal(hub.connectionCount, 0);
    } finally {
      hub.closeAll();
    }
  });

  it("past the bound, a resume of an answer no longer kept still gets its error, then ends", async () => {
    const hub = makeHub(0);
    try {
      // Cancelled calls: each resume stays open quietly, up to the bound.
      for (let i = 0; i < MAX_PARKED_PER_SESSION; i++) {
        readerOf((await hub.resume(SESSION, await cancelledStreamId(hub, SESSION, i)))!);
      }
      assert.equal(hub.connectionCount, MAX_PARKED_PER_SESSION);
      // A stream of request 42 that the log no longer has (never had, here).
      const gone = formatEventId(requestStreamId("a1b2c3", SESSION, [42]), 0);
      const resumed = (await hub.resume(SESSION, gone))!;
      assert.equal(resumed.status, 200, "not refused: there is an answer to give");
      const rest = await readSseUntil(readerOf(resumed), () => false, 3_000);
      assert.equal(rest.ended, true, "the connection ends after the error: it is not parked");
      assert.deepEqual(
        messagesOf(rest.events).map((message) => [message.id, message.error?.code]),
        [[42, -32603]],
      );
      assert.equal(hub.connectionCount, MAX_PARKED_PER_SESSION, "nothing counted, none closed");
    } finally {
      hub.closeAll();
    }
  });
});

describe("stream hub: listening takeover and take-back", () => {
  it("a take-back (the old listener resumes) replays only its own stream, and delivers nothing twice", async () => {
    const hub = makeHub();
    try {
      const delivered: string[] = [];
      // The listener, as a client opens it.
      const first = readerOf(await hub.openListening(SESSION, true));
      const firstRead = await readSseUntil(first, (events) => events.length >= 1);
      await hub.listening(SESSION)!.send(note("n1"));
      const n1 = await readSseUntil(first, (events) => labelsOf(events).length === 1);
      delivered.push(...labelsOf(n1.events));
      const lastSeen = n1.events.at(-1)!.id!;
      assert.ok(parseEventId(firstRead.events[0].id!));

      // A bare GET takes the listening role over: the first connection ends.
      const second = readerOf(await hub.openListening(SESSION, true));
      await readSseUntil(second, (events) => events.length >= 1);
      assert.equal((await readTextUntil(first, () => false)).ended, true);
      await hub.listening(SESSION)!.send(note("n2"));
      const n2 = await readSseUntil(second, (events) => labelsOf(events).length === 1);
      delivered.push(...labelsOf(n2.events));

      // The first client loop comes back with its Last-Event-ID.
      const back = readerOf((await hub.resume(SESSION, lastSeen))!);
      await hub.listening(SESSION)!.send(note("n3"));
      const onSecond = await readSseUntil(second, (events) => labelsOf(events).length === 1);
      delivered.push(...labelsOf(onSecond.events));
      assert.equal(onSecond.ended, false, "the take-back did not take the new connection over");
      const onBack = await idleOrEnded(back);
      assert.equal(onBack.ended, false, "the resumed connection stays open, quietly");
      delivered.push(
        ...labelsOf(parseSse(onBack.text.slice(0, onBack.text.lastIndexOf("\n\n") + 2))),
      );
      assert.deepEqual(delivered, ["n1", "n2", "n3"], "each notification delivered once");
      assert.equal(hub.connectionCount, 2);
    } finally {
      hub.closeAll();
    }
  });

  it("a resume of the current listening stream still takes its connection over and replays what it missed", async () => {
    const hub = makeHub();
    try {
      const first = readerOf(await hub.openListening(SESSION, true));
      const priming = (await readSseUntil(first, (events) => events.length >= 1)).events[0].id!;
      await hub.listening(SESSION)!.send(note("missed"));
      // The client never read "missed" (its connection broke): it resumes from the priming id.
      const resumed = readerOf((await hub.resume(SESSION, priming))!);
      const replay = await readSseUntil(resumed, (events) => labelsOf(events).length === 1);
      assert.deepEqual(labelsOf(replay.events), ["missed"]);
      assert.equal(
        replay.events.find((event) => event.data)?.id,
        formatEventId(parseEventId(priming)!.streamId, 1),
      );
      await until(async () => (await readTextUntil(first, () => false, 50)).ended, "old one ends");
      await hub.listening(SESSION)!.send(note("live"));
      const live = await readSseUntil(resumed, (events) => labelsOf(events).length === 1);
      assert.deepEqual(labelsOf(live.events), ["live"]);
    } finally {
      hub.closeAll();
    }
  });
});
