import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { exceedsUtf8Bytes, utf8Length } from "../../../src/jsonrpc/utf8_length.ts";

describe("utf8Length", () => {
  it("matches TextEncoder for ASCII, 2-, 3- and 4-byte characters and lone surrogates", () => {
    const encoder = new TextEncoder();
    for (
      const text of [
        "",
        "plain",
        "é",
        "€uro",
        "日本語",
        "😀 smile",
        "a\uD800b",
        "\uDC00",
        "x".repeat(1000) + "ü",
      ]
    ) {
      assert.equal(utf8Length(text), encoder.encode(text).length, JSON.stringify(text));
    }
  });

  it("counts long strings (a large tool result) alike, whatever falls on a chunk's edge", () => {
    const encoder = new TextEncoder();
    const texts = [
      "a".repeat(64),
      "é".repeat(63) + "a",
      "€".repeat(1023) + "a",
      "a".repeat(4096),
      "a".repeat(300_000),
      "é".repeat(5000),
      "日本語".repeat(20_000),
      "😀".repeat(40_000),
      "a".repeat(16_383) + "😀" + "b".repeat(20_000), // a pair across the first chunk's edge
      "a".repeat(16_383) + "\uD800" + "b".repeat(20_000), // a lone high surrogate there
      "a".repeat(16_384) + "\uDC00" + "\uD800".repeat(3) + "x".repeat(5000),
      "x".repeat(5000) + "\uD800", // a lone surrogate at the very end
      JSON.stringify({ text: "ü€😀".repeat(10_000) }),
    ];
    for (const text of texts) {
      assert.equal(utf8Length(text), encoder.encode(text).length, `${text.length} units`);
    }
  });
});

describe("exceedsUtf8Bytes", () => {
  it("is true exactly past the limit, counting UTF-8 bytes, not UTF-16 units", () => {
    assert.equal(exceedsUtf8Bytes("abc", 3), false, "at the limit");
    assert.equal(exceedsUtf8Bytes("abcd", 3), true, "one byte past it");
    assert.equal(exceedsUtf8Bytes("é", 1), true, "one unit, two bytes");
    assert.equal(exceedsUtf8Bytes("é", 2), false);
    assert.equal(exceedsUtf8Bytes("😀", 3), true, "two units, four bytes");
    assert.equal(exceedsUtf8Bytes("😀", 4), false);
    assert.equal(exceedsUtf8Bytes("x".repeat(10_000), 256), true, "far over the limit");
    assert.equal(exceedsUtf8Bytes("", 0), false);
    // Within three bytes a unit of the limit, decided without counting: exact at the edge.
    assert.equal(exceedsUtf8Bytes("€€", 6), false, "two units, six bytes, at the limit");
    assert.equal(exceedsUtf8Bytes("€€", 5), true, "two units, six bytes, one past it");
  });
});

describe("byte limits count UTF-8 bytes", () => {
  it("session state of multi-byte characters hits maxStateBytes by bytes, not string length", async () => {
    const { MemorySessionStore } = await import("../../../src/storage/mod.ts");
    const store = new MemorySessionStore();
    await store.create(
      {
        id: "s",
        ownerKey: "user:a",
        protocolVersion: "2025-11-25",
        clientCapabilities: {},
        createdAt: 0,
        expiresAt: 10,
      },
      10,
      0,
    );
    // 40 × "€" is 40 UTF-16 units but 120 UTF-8 bytes (plus quotes and key).
    await assert.rejects(store.writeState("s", "k", "€".repeat(40), 100), RangeError);
    await store.writeState("s", "k", "e".repeat(40), 100);
    assert.equal(await store.readState("s", "k"), "e".repeat(40));
  });
});
