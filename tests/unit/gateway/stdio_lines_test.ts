/**
 * The reading side of a stdio upstream: lines cut across chunks (and inside
 * a multi-byte character), blank lines skipped, a line that is not JSON-RPC
 * reported and skipped, one over the limit reported; and the ledger that
 * says a session is busy while a request either way is unanswered (a
 * cancelled one no longer counts) or a subscription is held.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ExchangeLedger, LineReader } from "../../../src/gateway/stdio/stdio_lines.ts";

function reader(maxBytes = 1_024) {
  const seen: unknown[] = [];
  const lines = new LineReader(maxBytes, {
    message: (message) => seen.push(message),
    invalid: () => seen.push("invalid"),
    oversized: () => seen.push("oversized"),
  });
  const read = (text: string | Uint8Array) =>
    lines.read(typeof text === "string" ? new TextEncoder().encode(text) : text);
  return { seen, read };
}

describe("LineReader", () => {
  it("cuts lines across chunks and inside a character, in order", () => {
    const { seen, read } = reader();
    const bytes = new TextEncoder().encode('{"jsonrpc":"2.0","method":"m","params":{"t":"€"}}\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of "€"
    read(bytes.subarray(0, cut));
    assert.deepEqual(seen, []);
    read(bytes.subarray(cut));
    read('\n{"jsonrpc":"2.0","id":1,"result":{}}\n{"jsonrpc":"2.0","id":2,"result":{}}\n');
    assert.deepEqual(seen, [
      { jsonrpc: "2.0", method: "m", params: { t: "€" } },
      { jsonrpc: "2.0", id: 1, result: {} },
      { jsonrpc: "2.0", id: 2, result: {} },
    ]);
  });

  it("reports a line that is not JSON-RPC and one over the limit", () => {
    const { seen, read } = reader(16);
    read("not json\n");
    read('{"a":1}\n');
    read("x".repeat(17));
    read('\n{"jsonrpc":"2.0"\n');
    assert.deepEqual(seen, ["invalid", "invalid", "oversized", "invalid"]);
  });
});

describe("ExchangeLedger", () => {
  it("is busy while a request either way is unanswered", () => {
    const ledger = new ExchangeLedger();
    ledger.sent({ jsonrpc: "2.0", method: "notifications/initialized" });
    assert.equal(ledger.busy, false, "a notification asks nothing");
    ledger.sent({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "slow" } });
    assert.equal(ledger.busy, true);
    ledger.received({ jsonrpc: "2.0", id: 7, method: "elicitation/create", params: {} });
    ledger.received({ jsonrpc: "2.0", id: 1, result: {} });
    assert.equal(ledger.busy, true, "the upstream's own request is still owed an answer");
    ledger.sent({ jsonrpc: "2.0", id: 7, result: { action: "decline" } });
    assert.equal(ledger.busy, false);
  });

  it("forgets a cancelled request", () => {
    const ledger = new ExchangeLedger();
    ledger.sent({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "slow" } });
    ledger.sent({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 2, reason: "timeout" },
    });
    assert.equal(ledger.busy, false);
  });

  it("is busy while a subscription the upstream accepted is held", () => {
    const ledger = new ExchangeLedger();
    ledger.sent({ jsonrpc: "2.0", id: 3, method: "resources/subscribe", params: { uri: "a://1" } });
    ledger.received({ jsonrpc: "2.0", id: 3, error: { code: -32601, message: "no" } });
    assert.equal(ledger.busy, false, "a refused subscription holds nothing");
    ledger.sent({ jsonrpc: "2.0", id: 4, method: "resources/subscribe", params: { uri: "a://1" } });
    ledger.received({ jsonrpc: "2.0", id: 4, result: {} });
    assert.equal(ledger.busy, true);
    ledger.sent({
      jsonrpc: "2.0",
      id: 5,
      method: "resources/unsubscribe",
      params: { uri: "a://1" },
    });
    ledger.received({ jsonrpc: "2.0", id: 5, result: {} });
    assert.equal(ledger.busy, false);
  });
});
