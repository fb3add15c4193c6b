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
