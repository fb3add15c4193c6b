/**
 * `readSseEvents` (src/client/sse_events.ts), the client side's SSE reader:
 * events across chunk boundaries (a blank line split in two too), LF, CRLF
 * and CR line endings, `data` lines joined with `\n`, one leading space
 * dropped, `id` and `retry` kept, comment-only blocks skipped, an event
 * without data read as `data: undefined`, an unfinished last event dropped,
 * and `OversizedEvent` past the bound for a completed and a pending event.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OversizedEvent, readSseEvents, type SseEvent } from "../../../src/client/sse_events.ts";

/** A body that hands out `chunks` one read at a time. */
function body(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === chunks.length) return controller.close();
      const chunk = chunks[next++];
      controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
    },
  });
}

async function events(chunks: (string | Uint8Array)[], max?: number): Promise<SseEvent[]> {
  const read: SseEvent[] = [];
  for await (const event of readSseEvents(body(chunks).getReader(), max)) read.push(event);
  return read;
}

/** Every way of cutting `text` in two. */
function cuts(text: string): [string, string][] {
  const all: [string, string][] = [];
  for (let at = 0; at <= text.length; at++) all.push([text.slice(0, at), text.slice(at)]);
  return all;
}

describe("readSseEvents", () => {
  it("reads id, data and retry, dropping one leading space of each value", async () => {
    assert.deepEqual(await events(["id: 7\nretry: 1500\ndata:  two spaces\n\n"]), [
      { id: "7", retry: 1500, data: " two spaces" },
    ]);
    assert.deepEqual(await events(["id:x\ndata:tight\n\n"]), [{ id: "x", data: "tight" }]);
  });

  it("joins data lines with \\n and keeps empty ones", async () => {
    assert.deepEqual(await events(["data: a\ndata:\ndata: b\n\n"]), [{ data: "a\n\nb" }]);
  });

  it("reads an event without data as data undefined (a priming event)", async () => {
    const [event] = await events(["id: p1\n\n"]);
    assert.equal(event.id, "p1");
    assert.equal(event.data, undefined);
  });

  it("reads past event names, unknown fields, comments and an invalid retry", async () => {
    assert.deepEqual(await events([": hi\nevent: message\nfoo: bar\nretry: 1s\ndata: x\n\n"]), [
      { data: "x" },
    ]);
  });

  it("skips a block of comments only", async () => {
    assert.deepEqual(await events([": keep-alive\n\n:\n: again\n\ndata: 1\n\n"]), [{ data: "1" }]);
  });

  for (const [name, end] of [["LF", "\n"], ["CRLF", "\r\n"], ["CR", "\r"]]) {
    it(`reads ${name} line endings`, async () => {
      const text = `id: 1${end}data: a${end}data: b${end}${end}data: c${end}${end}`;
      assert.deepEqual(await events([text]), [{ id: "1", data: "a\nb" }, { data: "c" }]);
    });
  }

  it("reads the same events however a CRLF stream is cut in two", async () => {
    const text = "id: 1\r\ndata: a\r\ndata: b\r\n\r\n: c\r\n\r\ndata: x\r\n\r\n";
    for (const [head, tail] of cuts(text)) {
      assert.deepEqual(
        await events([head, tail]),
        [{ id: "1", data: "a\nb" }, { data: "x" }],
        JSON.stringify([head, tail]),
      );
    }
  });

  it("reads events whose blank line is split inside \\r\\n\\r\\n", async () => {
    assert.deepEqual(await events(["data: a\r\n\r", "\ndata: b\r\n", "\r\n"]), [
      { data: "a" },
      { data: "b" },
    ]);
    assert.deepEqual(await events(["data: a\r", "\n\r", "\n"]), [{ data: "a" }]);
  });

  it("reads an event cut into single characters and a UTF-8 character cut in two", async () => {
    const encoded = new TextEncoder().encode("data: héllo\n\n");
    const chunks = [...encoded].map((byte) => Uint8Array.of(byte));
    assert.deepEqual(await events(chunks), [{ data: "héllo" }]);
  });

  it("yields each event as soon as it completes", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => release = resolve);
    let step = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (step++ === 0) return controller.enqueue(new TextEncoder().encode("data: 1\n\n"));
        await gate;
        controller.enqueue(new TextEncoder().encode("data: 2\n\n"));
        controller.close();
      },
    });
    const iterator = readSseEvents(stream.getReader());
    assert.deepEqual((await iterator.next()).value, { data: "1" });
    release();
    assert.deepEqual((await iterator.next()).value, { data: "2" });
    assert.equal((await iterator.next()).done, true);
  });

  it("drops an unfinished last event", async () => {
    assert.deepEqual(await events(["data: 1\n\ndata: 2\n"]), [{ data: "1" }]);
    assert.deepEqual(await events(["id: 3\ndata: half"]), []);
  });

  it("throws OversizedEvent for a completed event past the bound, after the ones within it", async () => {
    const read: SseEvent[] = [];
    await assert.rejects(
      async () => {
        const reader = body(["data: ok\n\n", "data: 0123456789abcdef\n\n"]).getReader();
        for await (const event of readSseEvents(reader, 12)) read.push(event);
      },
      (error: unknown) => error instanceof OversizedEvent && error.maxBytes === 12,
    );
    assert.deepEqual(read, [{ data: "ok" }]);
  });

  it("throws OversizedEvent for a pending event already past the bound", async () => {
    await assert.rejects(
      events(["data: 01234", "56789"], 12),
      (error: unknown) =>
        error instanceof OversizedEvent && error.message === "An event is over 12 bytes",
    );
  });

  it("takes an event of exactly the bound", async () => {
    assert.deepEqual(await events(["data: 123456\n\n"], 12), [{ data: "123456" }]);
  });
});
