/**
 * `LineFramer` (src/jsonrpc/line_framer.ts), the stdio framing: lines
 * completed across chunks (a UTF-8 character split between two too), CRLF
 * trimmed, blank lines skipped, an over-long line reported once and its
 * rest skipped up to its newline while the next line is served, and
 * `end()` giving a last line without its newline (nothing for a skipped one).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Line, LineFramer } from "../../../src/jsonrpc/line_framer.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** The lines as texts, `TOO LONG` for a skipped one. */
function texts(lines: Line[]): string[] {
  return lines.map((line) => line.tooLong ? "TOO LONG" : line.text);
}

describe("LineFramer", () => {
  it("returns each line as its chunk completes it", () => {
    const framer = new LineFramer(1024);
    assert.deepEqual(texts(framer.push('{"a"')), []);
    assert.deepEqual(texts(framer.push(':1}\n{"b":2}\n{"c"')), ['{"a":1}', '{"b":2}']);
    assert.deepEqual(texts(framer.push(":3}\n")), ['{"c":3}']);
  });

  it("joins a UTF-8 character split across byte chunks", () => {
    const framer = new LineFramer(1024);
    const whole = bytes("héllo wörld\n");
    const cut = whole.indexOf(0xc3) + 1; // inside the two bytes of é
    assert.deepEqual(texts(framer.push(whole.subarray(0, cut))), []);
    assert.deepEqual(texts(framer.push(whole.subarray(cut))), ["héllo wörld"]);
  });

  it("joins a line cut into single bytes", () => {
    const framer = new LineFramer(1024);
    const lines: Line[] = [];
    for (const byte of bytes("ünï\r\nçødé\n")) lines.push(...framer.push(Uint8Array.of(byte)));
    assert.deepEqual(texts(lines), ["ünï", "çødé"]);
  });

  it("trims CRLF, also when the CR and LF come in different chunks", () => {
    const framer = new LineFramer(1024);
    assert.deepEqual(texts(framer.push("one\r\ntwo\r")), ["one"]);
    assert.deepEqual(texts(framer.push("\nthree\n")), ["two", "three"]);
    assert.equal(framer.push("x\r\n")[0].text?.length, 1);
  });

  it("skips blank and whitespace-only lines, and trims the text", () => {
    const framer = new LineFramer(1024);
    assert.deepEqual(texts(framer.push("\n\r\n   \n\t\r\n  a  \n\nb\n")), ["a", "b"]);
  });

  it("takes a line of exactly the bound", () => {
    const framer = new LineFramer(5);
    assert.deepEqual(texts(framer.push("abcde\n")), ["abcde"]);
  });

  it("reports an over-long line once and serves the next line of the same chunk", () => {
    const framer = new LineFramer(5);
    assert.deepEqual(texts(framer.push("abcdefgh\nok\n")), ["TOO LONG", "ok"]);
  });

  it("reports an over-long line once however many chunks it spans, then serves the next", () => {
    const framer = new LineFramer(5);
    assert.deepEqual(texts(framer.push("abc")), []);
    assert.deepEqual(texts(framer.push("def")), ["TOO LONG"]);
    assert.deepEqual(texts(framer.push("ghijklmnop")), []);
    assert.deepEqual(texts(framer.push("qrst")), []);
    assert.deepEqual(texts(framer.push("uv\nnext\n")), ["next"]);
    assert.deepEqual(texts(framer.push("abcdefgh\n")), ["TOO LONG"]);
  });

  it("counts bytes, not characters, against the bound", () => {
    const framer = new LineFramer(4);
    assert.deepEqual(texts(framer.push("éé\n")), ["éé"]); // 4 bytes
    assert.deepEqual(texts(framer.push("ééé\n")), ["TOO LONG"]); // 6 bytes, 3 characters
  });

  it("gives a last line without its newline at end()", () => {
    const framer = new LineFramer(1024);
    assert.deepEqual(texts(framer.push("first\nta")), ["first"]);
    assert.deepEqual(texts(framer.push("il\r")), []);
    assert.deepEqual(texts(framer.end()), ["tail"]);
    assert.deepEqual(texts(framer.end()), []);
  });

  it("gives nothing at end() for a line being skipped, and frames again afterwards", () => {
    const framer = new LineFramer(3);
    assert.deepEqual(texts(framer.push("toolong")), ["TOO LONG"]);
    assert.deepEqual(texts(framer.end()), []);
    assert.deepEqual(texts(framer.push("ok\n")), ["ok"]);
  });

  it("gives nothing at end() after a complete line or a blank rest", () => {
    const framer = new LineFramer(1024);
    assert.deepEqual(texts(framer.push("done\n")), ["done"]);
    assert.deepEqual(texts(framer.end()), []);
    framer.push("   ");
    assert.deepEqual(texts(framer.end()), []);
  });
});
