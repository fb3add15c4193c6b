/** SSE encoding: framing of data, id, event, retry and comments, and refusal of values that break framing. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  numberedDataLead,
  SSE_HEADERS,
  stringifyJsonEvents,
  stringifyNumberedJsonEvents,
  stringifySseMessage,
} from "../../../../src/http/sse/sse.ts";
import { parseSse } from "../../../helpers.ts";

describe("stringifySseMessage", () => {
  it("encodes id and data and ends with the blank line that dispatches the event", () => {
    assert.equal(stringifySseMessage({ id: "s:1", data: '{"a":1}' }), 'id: s:1\ndata: {"a":1}\n\n');
  });

  it("splits multi-line data into one data: line per line, for \\n, \\r\\n and \\r", () => {
    assert.equal(stringifySseMessage({ data: "a\nb" }), "data: a\ndata: b\n\n");
    assert.equal(stringifySseMessage({ data: "a\r\nb\rc" }), "data: a\ndata: b\ndata: c\n\n");
    // A client joins the lines back with \n.
    assert.equal(parseSse(stringifySseMessage({ data: "x\ny\n\nz" }))[0].data, "x\ny\n\nz");
  });

  it("encodes empty data as one empty data: line (the priming event shape)", () => {
    const text = stringifySseMessage({ id: "s:0", retry: 1000, data: "" });
    assert.equal(text, "id: s:0\nretry: 1000\ndata: \n\n");
    assert.deepEqual(parseSse(text), [{ id: "s:0", retry: 1000, data: "", comments: [] }]);
  });

  it("encodes event names", () => {
    assert.equal(
      stringifySseMessage({ event: "message", data: "x" }),
      "event: message\ndata: x\n\n",
    );
  });

  it("refuses a newline in id or event with a RangeError naming the field", () => {
    assert.throws(
      () => stringifySseMessage({ id: "a\nb" }),
      (e: unknown) => e instanceof RangeError && /id/.test(e.message),
    );
    assert.throws(() => stringifySseMessage({ id: "a\rb" }), RangeError);
    assert.throws(
      () => stringifySseMessage({ event: "x\ny" }),
      (e: unknown) => e instanceof RangeError && /event/.test(e.message),
    );
    assert.throws(() => stringifySseMessage({ event: "x\r\ny", data: "ok" }), RangeError);
  });

  it("refuses NUL in an id", () => {
    assert.throws(() => stringifySseMessage({ id: "a\0b" }), RangeError);
  });

  it("accepts a non-negative integer retry and refuses anything else", () => {
    assert.equal(stringifySseMessage({ retry: 0 }), "retry: 0\n\n");
    assert.equal(stringifySseMessage({ retry: 1500 }), "retry: 1500\n\n");
    for (const retry of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => stringifySseMessage({ retry }), RangeError, `retry ${retry}`);
    }
  });

  it("encodes comments as lines starting with a colon, one per line", () => {
    assert.equal(stringifySseMessage({ comment: "keepalive" }), ": keepalive\n\n");
    assert.equal(stringifySseMessage({ comment: "a\nb" }), ": a\n: b\n\n");
    // A comment cannot smuggle a data line.
    const parsed = parseSse(stringifySseMessage({ comment: "x\ndata: injected" }));
    assert.equal(parsed[0].data, undefined);
  });

  it("data cannot smuggle other fields or a second event", () => {
    const parsed = parseSse(stringifySseMessage({ id: "1", data: "a\n\nid: evil\ndata: b" }));
    assert.equal(parsed.length, 1);
    assert.equal(parsed[0].id, "1");
    assert.equal(parsed[0].data, "a\n\nid: evil\ndata: b");
  });

  it("an empty message is a blank line", () => {
    assert.equal(stringifySseMessage({}), "\n");
  });
});

describe("stringifyJsonEvents and stringifyNumberedJsonEvents", () => {
  it("frame the same events, after the head", () => {
    const data = ['{"a":1}', '{"b":"é"}'];
    const expected = 'retry: 5\n\nid: s-1:7\ndata: {"a":1}\n\nid: s-1:8\ndata: {"b":"é"}\n\n';
    assert.equal(stringifyJsonEvents(["s-1:7", "s-1:8"], data, "retry: 5\n\n"), expected);
    assert.equal(stringifyNumberedJsonEvents("s-1:", 7, data, "retry: 5\n\n"), expected);
    assert.equal(stringifyNumberedJsonEvents("s-1:", 7, [], "retry: 5\n\n"), "retry: 5\n\n");
    assert.equal(stringifyNumberedJsonEvents("s-1:", 1, ["{}"]), "id: s-1:1\ndata: {}\n\n");
  });

  it("number events past the kept leads, and from any first number, as explicit ids do", () => {
    const data = ["{}", "[]", "1", '"x"', "null"];
    for (const first of [1_022, 1, 250, 99_998, 3]) {
      const ids = data.map((_, i) => `p:${first + i}`);
      assert.equal(stringifyNumberedJsonEvents("p:", first, data), stringifyJsonEvents(ids, data));
    }
    assert.equal(numberedDataLead(1_023), "1023\ndata: ");
    assert.equal(numberedDataLead(123_456), "123456\ndata: ");
  });

  it("refuse an id, or an id prefix, that would break framing", () => {
    for (const unsafe of ["a\nb:", "a\rb:", "a\0b:"]) {
      assert.throws(() => stringifyJsonEvents(["ok:1", `${unsafe}2`], ["{}", "{}"]), RangeError);
      assert.throws(() => stringifyNumberedJsonEvents(unsafe, 1, ["{}"]), RangeError);
    }
  });
});

describe("SSE_HEADERS", () => {
  it("set the event-stream type and disable caching and proxy buffering", () => {
    assert.equal(SSE_HEADERS["content-type"], "text/event-stream");
    assert.match(SSE_HEADERS["cache-control"], /no-cache/);
    assert.equal(SSE_HEADERS["x-accel-buffering"], "no");
  });
});
