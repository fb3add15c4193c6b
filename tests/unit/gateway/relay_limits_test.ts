/**
 * The gateway's bound on what it relays between an upstream and a downstream
 * client counts the value's JSON in UTF-8 bytes: at the limit it passes, one
 * byte over it (ASCII or not) is refused with the limit in the message.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkRelayed } from "../../../src/gateway/relay_limits.ts";

describe("checkRelayed", () => {
  it("passes a value at the limit and refuses one byte over it, counted in UTF-8", () => {
    // JSON.stringify("€€") is `"€€"`: 2 quotes + 2 × 3 bytes = 8 bytes in 4 UTF-16 units.
    assert.doesNotThrow(() => checkRelayed("€€", 8, "sampling request"));
    assert.throws(
      () => checkRelayed("€€", 7, "sampling request"),
      /sampling request is over the gateway's limit \(7 bytes\)/,
    );
    // ASCII: `"abcde"` is 7 bytes.
    assert.doesNotThrow(() => checkRelayed("abcde", 7, "elicitation request"));
    assert.throws(
      () => checkRelayed("abcdef", 7, "elicitation request"),
      /over the gateway's limit/,
    );
  });
});
