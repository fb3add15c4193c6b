/**
 * Base64 without Buffer: standard base64 as `btoa` gives it, and unpadded
 * base64url that decodes only its own canonical encodings.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeBase64Url, encodeBase64, encodeBase64Url } from "../../../src/protocol/base64.ts";

describe("base64", () => {
  it("encodes standard base64, padded, across chunk boundaries", () => {
    assert.equal(encodeBase64(new Uint8Array([104, 105])), "aGk=");
    const large = Uint8Array.from({ length: 0x8000 * 2 + 5 }, (_, i) => (i * 7) & 0xff);
    let binary = "";
    for (const byte of large) binary += String.fromCharCode(byte);
    assert.equal(encodeBase64(large), btoa(binary));
  });

  it("base64url round-trips every length, without padding or + and /", () => {
    for (let length = 0; length <= 34; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (0xfb + i * 13) & 0xff);
      const text = encodeBase64Url(bytes);
      assert.match(text, /^[A-Za-z0-9_-]*$/);
      assert.deepEqual(decodeBase64Url(text), bytes);
    }
    assert.equal(encodeBase64Url(new Uint8Array([0xfb, 0xff])), "-_8");
  });

  it("base64url refuses what is not a canonical encoding", () => {
    for (const text of ["-_9", "a", "aGk=", "aG+", "aG/", "a b", "é"]) {
      assert.equal(decodeBase64Url(text), undefined, text);
    }
  });
});
