/**
 * SseAnswers reads an upstream's SSE response as the SDK client's parser
 * does: a response in a `message` event answers its request; an event's id
 * (once the event has a data line) makes the stream resumable; an event left
 * unfinished at the end is discarded. Each stream is also read split at every
 * byte, in CRLF and CR forms, with the same outcome.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestId } from "../../../src/jsonrpc/messages.ts";
import { SseAnswers, type StreamEnd } from "../../../src/gateway/sessions/upstream_stream.ts";

const encoder = new TextEncoder();
const answer = (id: number | string) => JSON.stringify({ jsonrpc: "2.0", id, result: {} });
const log = JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: {} });
const failed = (id: RequestId) => ({ failed: id });

/** The end of `text` as a response to `ids`, read whole and split at every position. */
function endOf(text: string, ids: (number | string)[]): StreamEnd {
  const whole = new SseAnswers(ids);
  whole.add(encoder.encode(text));
  const expected = whole.end(failed);
  const bytes = encoder.encode(text);
  for (let split = 1; split < bytes.length; split++) {
    const answers = new SseAnswers(ids);
    answers.add(bytes.subarray(0, split));
    answers.add(bytes.subarray(split));
    assert.deepEqual(answers.end(failed), expected, `split at ${split}`);
  }
  return expected;
}

/** `endOf` for `text` and for its CRLF and CR forms, which must agree. */
function endOfAnyLineEnds(text: string, ids: (number | string)[]): StreamEnd {
  const lf = endOf(text, ids);
  for (const lineEnd of ["\r\n", "\r"]) {
    const other = endOf(text.replaceAll("\n", lineEnd), ids);
    assert.deepEqual(other.unanswered, lf.unanswered, JSON.stringify(lineEnd));
  }
  return lf;
}

describe("SseAnswers", () => {
  it("a stream that answered its request adds nothing", () => {
    assert.deepEqual(endOfAnyLineEnds(`data: ${log}\n\ndata: ${answer(1)}\n\n`, [1]), {
      text: "",
      unanswered: [],
    });
    // An error response answers too, and an id the upstream wrote as a string counts.
    const error = JSON.stringify({ jsonrpc: "2.0", id: "1", error: { code: 1, message: "no" } });
    assert.deepEqual(endOfAnyLineEnds(`data: ${error}\n\n`, [1]).unanswered, []);
  });

  it("a stream without the answer and without an event id fails its request at once", () => {
    const end = endOfAnyLineEnds(`: keep-alive\n\ndata: ${log}\n\n`, [7]);
    assert.deepEqual(end.unanswered, [7]);
    assert.equal(
      end.text,
      `id:\nevent: tether-discarded\n\ndata: ${JSON.stringify(failed(7))}\n\n`,
    );
  });

  it("a primed stream (an id on an event with a data line) is left to its reader's resume", () => {
    const end = endOfAnyLineEnds(`id: e1\nretry: 20\ndata: \n\ndata: ${log}\n\n`, [3]);
    assert.deepEqual(end.unanswered, []);
    assert.doesNotMatch(end.text, /"error"/, "no error answer appended");
    // An id on an event without a data line is never seen by the SDK client's parser.
    assert.deepEqual(endOfAnyLineEnds(`id: e1\n\ndata: ${log}\n\n`, [3]).unanswered, [3]);
  });

  it("an event left unfinished is discarded, its answer and id too, as the SDK client drops it", () => {
    const partial = endOf(`data: ${log}\n\nid: e9\ndata: ${answer(2)}`, [2]);
    assert.deepEqual(partial.unanswered, [2]);
    assert.match(partial.text, /^\nid:\nevent: tether-discarded\n\ndata: /);
    const lineDone = endOf(`data: ${log}\n\ndata: ${answer(2)}\n`, [2]);
    assert.deepEqual(lineDone.unanswered, [2]);
    assert.match(lineDone.text, /^id:\nevent: tether-discarded\n\n/);
  });

  it("only message events answer; only its own requests count", () => {
    assert.deepEqual(endOf(`event: other\ndata: ${answer(4)}\n\n`, [4]).unanswered, [4]);
    assert.deepEqual(endOf(`event: message\ndata: ${answer(4)}\n\n`, [4]).unanswered, []);
    assert.deepEqual(endOf(`data: ${answer(5)}\n\n`, [4, 6]).unanswered, [4, 6]);
  });
});
