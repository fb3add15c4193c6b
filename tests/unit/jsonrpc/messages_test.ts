/** The JSON-RPC envelope check and message builders. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  classifyMessage,
  errorResponse,
  requestIdKey,
  resultResponse,
} from "../../../src/jsonrpc/messages.ts";
import { ErrorCode, McpError } from "../../../src/jsonrpc/error_codes.ts";

describe("classifyMessage", () => {
  it("classifies requests, with string or integer ids", () => {
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, method: "ping" })?.kind, "request");
    assert.equal(
      classifyMessage({ jsonrpc: "2.0", id: "a", method: "tools/call", params: { name: "x" } })
        ?.kind,
      "request",
    );
    assert.equal(
      classifyMessage({ jsonrpc: "2.0", id: 0, method: "ping", params: undefined })?.kind,
      "request",
    );
  });

  it("classifies notifications (no id member)", () => {
    assert.equal(
      classifyMessage({ jsonrpc: "2.0", method: "notifications/initialized" })?.kind,
      "notification",
    );
  });

  it("classifies result and error responses, including an error with a null id", () => {
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, result: {} })?.kind, "response");
    assert.equal(
      classifyMessage({ jsonrpc: "2.0", id: "x", error: { code: -1, message: "m" } })?.kind,
      "response",
    );
    assert.equal(
      classifyMessage({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "m" } })?.kind,
      "response",
    );
  });

  it("returns the message itself", () => {
    const message = { jsonrpc: "2.0", id: 1, method: "ping" };
    assert.equal(classifyMessage(message)?.message, message);
  });

  it("refuses values that are not JSON-RPC 2.0 envelopes", () => {
    const invalid: unknown[] = [
      { jsonrpc: "1.0" },
      { jsonrpc: "1.0", id: 1, method: "ping" },
      { id: 1, method: "ping" },
      42,
      "ping",
      null,
      [],
      [{ jsonrpc: "2.0", id: 1, method: "ping" }],
      { jsonrpc: "2.0" },
    ];
    for (const value of invalid) {
      assert.equal(classifyMessage(value), undefined, JSON.stringify(value));
    }
  });

  it("refuses bad methods and params", () => {
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, method: 5 }), undefined);
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, method: "" }), undefined);
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, method: "m", params: [1] }), undefined);
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, method: "m", params: null }), undefined);
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, method: "m", params: "x" }), undefined);
  });

  it("refuses request ids that are null, fractional, boolean or objects", () => {
    for (const id of [null, 1.5, true, {}, []]) {
      assert.equal(
        classifyMessage({ jsonrpc: "2.0", id, method: "ping" }),
        undefined,
        JSON.stringify(id),
      );
    }
  });

  it("refuses responses with both or neither of result and error, or malformed members", () => {
    assert.equal(
      classifyMessage({ jsonrpc: "2.0", id: 1, result: {}, error: { code: 1, message: "m" } }),
      undefined,
    );
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1 }), undefined);
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, result: 5 }), undefined);
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, result: [] }), undefined);
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: 1, error: { message: "m" } }), undefined);
    assert.equal(
      classifyMessage({ jsonrpc: "2.0", id: 1, error: { code: "1", message: "m" } }),
      undefined,
    );
    assert.equal(classifyMessage({ jsonrpc: "2.0", result: {} }), undefined);
    assert.equal(classifyMessage({ jsonrpc: "2.0", id: null, result: {} })?.kind, "response");
  });
});

describe("builders", () => {
  it("resultResponse and errorResponse build the envelopes; data is omitted when undefined", () => {
    assert.deepEqual(resultResponse(1, { a: 1 }), { jsonrpc: "2.0", id: 1, result: { a: 1 } });
    assert.deepEqual(errorResponse(null, -32600, "bad"), {
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: "bad" },
    });
    assert.equal("data" in errorResponse(1, -1, "m").error, false);
    assert.deepEqual(errorResponse(1, -1, "m", { x: 1 }).error.data, { x: 1 });
  });

  it('requestIdKey keeps 1 and "1" apart', () => {
    assert.notEqual(requestIdKey(1), requestIdKey("1"));
    assert.equal(requestIdKey("a"), requestIdKey("a"));
  });
});

describe("McpError", () => {
  it("carries a code, message and data", () => {
    const error = new McpError(ErrorCode.ResourceNotFound, "gone", { uri: "x://y" });
    assert.ok(error instanceof Error);
    assert.equal(error.code, -32002);
    assert.equal(error.message, "gone");
    assert.deepEqual(error.data, { uri: "x://y" });
    assert.equal(error.name, "McpError");
  });

  it("uses the standard code values", () => {
    assert.equal(ErrorCode.ParseError, -32700);
    assert.equal(ErrorCode.InvalidRequest, -32600);
    assert.equal(ErrorCode.MethodNotFound, -32601);
    assert.equal(ErrorCode.InvalidParams, -32602);
    assert.equal(ErrorCode.InternalError, -32603);
  });
});
