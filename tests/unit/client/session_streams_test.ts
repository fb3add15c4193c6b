/**
 * Where a 2025 server's SSE answer may be resumed from (session_streams.ts):
 * the last event id read, reset by an empty `id:` (the WHATWG rule), and
 * only while requests it carried are unanswered.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StreamReader } from "../../../src/client/session_streams.ts";

const NOTE = '{"jsonrpc":"2.0","method":"notifications/message","params":{}}';

/** How `body` ends for a stream of request 1, and what it delivered. */
async function read(body: string) {
  const delivered: unknown[] = [];
  const watch = { waiting: new Set<string | number>([1]), related: 1 };
  const end = await new StreamReader(watch, {
    maxEventBytes: 1_024,
    deliver: (message, extra) => delivered.push([message, extra]),
    invalid: () => {},
    retry: () => {},
  }).read(new Response(body));
  return { end, delivered, waiting: watch.waiting };
}

describe("StreamReader", () => {
  it("resumes from the last event id while its request is unanswered", async () => {
    const { end, delivered } = await read(`id: e1\ndata: ${NOTE}\n\n`);
    assert.equal(end.resumeFrom, "e1");
    assert.deepEqual(delivered, [[JSON.parse(NOTE), { relatedRequestId: 1 }]]);
  });

  it("has nothing to resume from after an empty id", async () => {
    const { end } = await read(`id: e1\ndata: ${NOTE}\n\nid:\n\n`);
    assert.equal(end.lastEventId, undefined);
    assert.equal(end.resumeFrom, undefined);
  });

  it("does not resume a stream that answered its request", async () => {
    const { end, waiting } = await read(
      `id: e1\ndata: ${NOTE}\n\nid: e2\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n`,
    );
    assert.equal(waiting.size, 0);
    assert.equal(end.lastEventId, "e2");
    assert.equal(end.resumeFrom, undefined);
  });
});
