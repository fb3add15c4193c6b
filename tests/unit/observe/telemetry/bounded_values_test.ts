/**
 * truncateUtf8: the byte bound on every telemetry value cuts on a character
 * boundary, counts as UTF-8 does, and reads no more of a huge string than the
 * bound.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MAX_ATTRIBUTE_BYTES,
  truncateUtf8,
} from "../../../../src/observe/telemetry/bounded_values.ts";

const bytesOf = (value: string) => new TextEncoder().encode(value).length;

describe("truncateUtf8", () => {
  it("keeps a value within the bound whole", () => {
    assert.equal(truncateUtf8("tools/call"), "tools/call");
    const exact = "x".repeat(MAX_ATTRIBUTE_BYTES);
    assert.equal(truncateUtf8(exact), exact);
  });

  it("cuts a long value to the bound, on a character boundary", () => {
    assert.equal(truncateUtf8("x".repeat(1_000_000)).length, MAX_ATTRIBUTE_BYTES);
    for (const unit of ["é", "€", "😀"]) {
      const cut = truncateUtf8(`a${unit.repeat(200_000)}`, 10);
      assert.ok(bytesOf(cut) <= 10, `${unit}: ${bytesOf(cut)} bytes`);
      assert.ok(bytesOf(cut) > 10 - bytesOf(unit), `${unit}: cut too short`);
      assert.equal(cut, `a${unit.repeat((cut.length - 1) / unit.length)}`);
    }
  });

  it("counts a lone surrogate as the 3 bytes of U+FFFD", () => {
    const cut = truncateUtf8("\ud800".repeat(100), 10);
    assert.equal(cut.length, 3);
    assert.ok(bytesOf(cut) <= 10);
  });
});
