/**
 * Request stream ids that name their one request: every id the JSON-RPC
 * spec allows round-trips when it encodes short enough, anything else names
 * none, and a malformed or foreign id never decodes to a request.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  answerStreamId,
  LISTENING_STREAM_ID,
  MAX_ENCODED_ID,
  requestIdOfStream,
  requestStreamId,
} from "../../../../src/legacy/streams/request_stream_id.ts";
import { formatEventId, parseEventId } from "../../../../src/storage/event_log/event_log.ts";

const BASE = "9f8e7d6c1k";
const SESSION = "x6Yq0mVh2Rkd5Jp8sTnW3aLcE9uBzF1o";

describe("request stream ids", () => {
  for (
    const id of [0, 7, -3, Number.MAX_SAFE_INTEGER, "a", "call-42", "é😀 日本", "a.b:c/d+e=f"]
  ) {
    it(`round-trips ${JSON.stringify(id)}, through an event id too`, () => {
      const streamId = requestStreamId(BASE, SESSION, [id]);
      assert.notEqual(streamId, BASE);
      assert.match(streamId, /^[\x21-\x7e]+$/, "printable ASCII: an SSE id and a header value");
      assert.equal(requestIdOfStream(streamId, SESSION), id);
      const parsed = parseEventId(formatEventId(streamId, 12));
      assert.deepEqual(parsed, { streamId, seq: 12 });
    });
  }

  it("names no request for batches, unsafe numbers and long strings", () => {
    assert.equal(requestStreamId(BASE, SESSION, []), BASE);
    assert.equal(requestStreamId(BASE, SESSION, [""]), BASE);
    assert.equal(requestStreamId(BASE, SESSION, [1, 2]), BASE);
    assert.equal(requestStreamId(BASE, SESSION, [1.5]), BASE);
    assert.equal(requestStreamId(BASE, SESSION, [2 ** 60]), BASE);
    assert.equal(requestStreamId(BASE, SESSION, ["x".repeat(MAX_ENCODED_ID)]), BASE);
    assert.equal(requestStreamId(BASE, SESSION, ["é".repeat(MAX_ENCODED_ID)]), BASE);
    const longest = "x".repeat(Math.floor((MAX_ENCODED_ID - 1) * 3 / 4));
    assert.equal(requestIdOfStream(requestStreamId(BASE, SESSION, [longest]), SESSION), longest);
  });

  it("names the request of a whole stream's one response, and none otherwise", () => {
    const result = (id: number | string) => ({ jsonrpc: "2.0" as const, id, result: {} });
    assert.equal(answerStreamId(BASE, SESSION, [result(5)]), requestStreamId(BASE, SESSION, [5]));
    assert.equal(requestIdOfStream(answerStreamId(BASE, SESSION, [result("r")]), SESSION), "r");
    const parseError = { jsonrpc: "2.0" as const, id: null, error: { code: -32700, message: "x" } };
    assert.equal(answerStreamId(BASE, SESSION, [parseError]), BASE);
    assert.equal(answerStreamId(BASE, SESSION, [result(1), result(2)]), BASE);
    assert.equal(
      answerStreamId(BASE, SESSION, [{
        jsonrpc: "2.0",
        method: "notifications/message",
        params: {},
      }]),
      BASE,
    );
  });

  it("names a request only in its own session", () => {
    const streamId = requestStreamId(BASE, SESSION, [5]);
    assert.equal(requestIdOfStream(streamId, SESSION), 5);
    assert.equal(requestIdOfStream(streamId, `${SESSION}x`), undefined);
    assert.equal(requestIdOfStream(streamId, ""), undefined);
  });

  it("decodes nothing from ids it did not make", () => {
    // `<base>.<this session's tag>.`: what a number id's stream id is before its kind and digits.
    const own = requestStreamId(BASE, SESSION, [1]).slice(0, -"n1".length);
    for (
      const streamId of [
        BASE,
        `${BASE}.n5`,
        `${LISTENING_STREAM_ID}.${BASE}`,
        `${LISTENING_STREAM_ID}.${own.slice(BASE.length + 1)}n5`,
        own,
        `${own}n`,
        `${own}n07`,
        `${own}n1e3`,
        `${own}n-0`,
        `${own}n99999999999999999`,
        `${own}x5`,
        `${own}s`,
        `${own}s!!`,
        `${own}s_w`, // not UTF-8
        `${own}s${"A".repeat(MAX_ENCODED_ID)}`,
        own.slice(BASE.length) + "n5",
      ]
    ) {
      assert.equal(requestIdOfStream(streamId, SESSION), undefined, streamId);
    }
  });
});
