/** JSON parsing with a nesting-depth limit measured on the raw text. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { jsonNestingDepth, parseJsonWithDepthLimit } from "../../../../src/http/body/parse_json.ts";

describe("jsonNestingDepth", () => {
  it("counts nesting of arrays and objects", () => {
    assert.equal(jsonNestingDepth("1"), 0);
    assert.equal(jsonNestingDepth("[]"), 1);
    assert.equal(jsonNestingDepth('{"a":[{"b":[]}]}'), 4);
    assert.equal(jsonNestingDepth("[[],[[]],[]]"), 3);
  });

  it("ignores brackets inside strings", () => {
    assert.equal(jsonNestingDepth('{"a":"[[[[{{{{"}'), 1);
    assert.equal(jsonNestingDepth('["]]]]", [1]]'), 2);
  });

  it('handles escaped quotes: brackets after \\" are still inside the string', () => {
    assert.equal(jsonNestingDepth('{"a":"\\"[[[[[["}'), 1);
    assert.equal(jsonNestingDepth('["\\\\\\"[[["]'), 1);
  });

  it("an escaped backslash before the closing quote ends the string", () => {
    // The string is a single backslash; the brackets after it are real.
    assert.equal(jsonNestingDepth('{"a":"\\\\","b":[[1]]}'), 3);
  });

  it("stops counting once the limit is exceeded", () => {
    assert.equal(jsonNestingDepth("[".repeat(1000) + "]".repeat(1000), 5), 6);
  });
});

describe("parseJsonWithDepthLimit", () => {
  it("parses within the limit", () => {
    assert.deepEqual(parseJsonWithDepthLimit('{"a":[1]}', 2), { ok: true, value: { a: [1] } });
    assert.deepEqual(parseJsonWithDepthLimit("[[1]]", 2), { ok: true, value: [[1]] });
  });

  it("refuses nesting past the limit as too-deep", () => {
    assert.deepEqual(parseJsonWithDepthLimit("[[[1]]]", 2), { ok: false, reason: "too-deep" });
    assert.deepEqual(parseJsonWithDepthLimit("[".repeat(100) + "]".repeat(100), 64), {
      ok: false,
      reason: "too-deep",
    });
  });

  it("does not count brackets inside strings against the limit", () => {
    const text = JSON.stringify({ s: "[".repeat(100) + '\\"' + "{".repeat(100) });
    const parsed = parseJsonWithDepthLimit(text, 1);
    assert.equal(parsed.ok, true);
  });

  it("decides at the limit exactly, however many openers sit in strings", () => {
    // Openers in strings push the count past the limit, so the scan decides.
    const padded = (depth: number) =>
      JSON.stringify({ s: "{[".repeat(50) }).slice(0, -1) + "," + '"n":' +
      "[".repeat(depth - 1) + "]".repeat(depth - 1) + "}";
    assert.equal(parseJsonWithDepthLimit(padded(3), 3).ok, true);
    assert.deepEqual(parseJsonWithDepthLimit(padded(4), 3), { ok: false, reason: "too-deep" });
    // Few openers: the count alone decides, at the limit and one past it.
    assert.equal(parseJsonWithDepthLimit('{"a":[{"b":1}]}', 3).ok, true);
    assert.deepEqual(parseJsonWithDepthLimit('{"a":[{"b":[1]}]}', 3), {
      ok: false,
      reason: "too-deep",
    });
  });

  it("reports syntax errors", () => {
    assert.deepEqual(parseJsonWithDepthLimit("{", 64), { ok: false, reason: "syntax" });
    assert.deepEqual(parseJsonWithDepthLimit("", 64), { ok: false, reason: "syntax" });
    assert.deepEqual(parseJsonWithDepthLimit("{'a':1}", 64), { ok: false, reason: "syntax" });
  });
});
