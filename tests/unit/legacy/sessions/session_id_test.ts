/** Session id minting and the well-formedness check. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  generateSessionId,
  isWellFormedSessionId,
} from "../../../../src/legacy/sessions/session_id.ts";

describe("generateSessionId", () => {
  it("returns 32 base64url characters (192 bits), different every time", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = generateSessionId();
      assert.match(id, /^[A-Za-z0-9_-]{32}$/);
      ids.add(id);
    }
    assert.equal(ids.size, 1000);
  });

  it("uses the whole alphabet (the bits are not stuck)", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) for (const c of generateSessionId()) seen.add(c);
    assert.equal(seen.size, 64);
  });
});

describe("isWellFormedSessionId", () => {
  it("accepts 1 to 256 visible ASCII characters", () => {
    assert.equal(isWellFormedSessionId("a"), true);
    assert.equal(isWellFormedSessionId("!~"), true);
    assert.equal(isWellFormedSessionId("x".repeat(256)), true);
  });

  it("refuses empty, overlong, spaces, control characters and non-ASCII", () => {
    for (const id of ["", "x".repeat(257), "a b", "a\tb", "a\u007fb", "é"]) {
      assert.equal(isWellFormedSessionId(id), false, JSON.stringify(id));
    }
  });
});
