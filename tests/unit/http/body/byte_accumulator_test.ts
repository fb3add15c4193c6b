/** The growable buffer request bodies are read into (finding 2: tiny chunks must not pin their runtime buffers). */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ByteAccumulator } from "../../../../src/http/body/byte_accumulator.ts";

const RUNTIME_BUFFER_BYTES = 64 * 1024;

describe("ByteAccumulator", () => {
  it("10,000 1-byte chunks, each a view into its own 64 KiB buffer, retain at most twice the bytes read", () => {
    const accumulator = new ByteAccumulator(1024 * 1024);
    const expected = new Uint8Array(10_000);
    for (let i = 0; i < expected.length; i++) {
      expected[i] = 0x30 + (i % 10);
      const runtimeBuffer = new Uint8Array(RUNTIME_BUFFER_BYTES);
      const offset = (i * 7) % RUNTIME_BUFFER_BYTES;
      runtimeBuffer[offset] = expected[i];
      assert.equal(accumulator.push(runtimeBuffer.subarray(offset, offset + 1)), true);
      assert.ok(
        accumulator.retainedBytes <= 2 * accumulator.size + 1024,
        `after ${i + 1} bytes it retains ${accumulator.retainedBytes}`,
      );
    }
    assert.equal(accumulator.size, 10_000);
    assert.deepEqual(accumulator.bytes(), expected);
  });

  it("keeps copies: changing a chunk after push does not change what was read", () => {
    const accumulator = new ByteAccumulator(100);
    const chunk = new Uint8Array([1, 2, 3]);
    accumulator.push(chunk);
    chunk.fill(9);
    assert.deepEqual(accumulator.bytes(), new Uint8Array([1, 2, 3]));
  });

  it("refuses a chunk that would pass the limit and keeps what it had", () => {
    const accumulator = new ByteAccumulator(5);
    assert.equal(accumulator.push(new Uint8Array([1, 2, 3])), true);
    assert.equal(accumulator.push(new Uint8Array([4, 5, 6])), false);
    assert.equal(accumulator.size, 3);
    assert.equal(accumulator.push(new Uint8Array([4, 5])), true);
    assert.deepEqual(accumulator.bytes(), new Uint8Array([1, 2, 3, 4, 5]));
    assert.ok(
      accumulator.retainedBytes <= 5,
      `a body at the limit retains ${accumulator.retainedBytes} bytes`,
    );
  });

  it("one large chunk is copied once, into a buffer of its size", () => {
    const accumulator = new ByteAccumulator(1024 * 1024);
    const runtimeBuffer = new Uint8Array(RUNTIME_BUFFER_BYTES).fill(7);
    accumulator.push(runtimeBuffer.subarray(100, 50_100));
    assert.equal(accumulator.size, 50_000);
    assert.equal(accumulator.retainedBytes, 50_000);
    assert.notEqual(accumulator.bytes().buffer, runtimeBuffer.buffer);
  });

  it("an empty accumulator holds nothing and reads as no bytes", () => {
    const accumulator = new ByteAccumulator(10);
    assert.equal(accumulator.retainedBytes, 0);
    assert.equal(accumulator.bytes().byteLength, 0);
    assert.equal(accumulator.push(new Uint8Array(0)), true);
    assert.equal(accumulator.retainedBytes, 0);
  });
});
