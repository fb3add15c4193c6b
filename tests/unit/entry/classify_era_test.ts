/**
 * The era classifier on its own: which era a POSTed body belongs to, from the
 * `_meta` claim first and the `MCP-Protocol-Version` header second, and the
 * refusals of bodies no era accepts. No handler, no HTTP.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyPost, namesModernVersion } from "../../../src/entry/classify_era.ts";
import type { Refusal } from "../../../src/http/refusal.ts";
import { ErrorCode } from "../../../src/jsonrpc/error_codes.ts";
import { type ClassifiedMessage, classifyMessage } from "../../../src/jsonrpc/messages.ts";
import { ENVELOPE_KEYS as META } from "../../../src/jsonrpc/modern_claim.ts";

const MODERN = "2026-07-28";

function claim(version: unknown = MODERN): Record<string, unknown> {
  return { _meta: { [META.protocolVersion]: version, [META.clientCapabilities]: {} } };
}

function request(method: string, params?: Record<string, unknown>, id: number = 1) {
  return { jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) };
}

function notification(method: string, params?: Record<string, unknown>) {
  return { jsonrpc: "2.0", method, ...(params === undefined ? {} : { params }) };
}

/** Classifies a single message or a batch the way the entry does. */
function classify(header: string | null, body: unknown) {
  const isBatch = Array.isArray(body);
  const values: unknown[] = isBatch ? body : [body];
  const messages = values.map((value) => {
    const message = classifyMessage(value);
    assert.ok(message !== undefined, `a valid JSON-RPC message: ${JSON.stringify(value)}`);
    return message;
  }) as ClassifiedMessage[];
  return classifyPost(header, values, messages, isBatch);
}

function asRefusal(outcome: unknown): Refusal {
  assert.equal(typeof outcome, "object", `a refusal, got ${JSON.stringify(outcome)}`);
  return outcome as Refusal;
}

describe("classifyPost: the body's claim decides first", () => {
  it("a request whose _meta claims the modern version is modern, with or without a header", () => {
    assert.equal(classify(null, request("tools/list", claim())), "modern");
    assert.equal(classify("2025-11-25", request("tools/list", claim())), "modern");
    assert.equal(classify(MODERN, request("tools/list", claim())), "modern");
  });

  it("a claim of an unknown or malformed version is still modern (answered with a modern error later)", () => {
    assert.equal(classify(null, request("tools/list", claim("1999-01-01"))), "modern");
    assert.equal(classify(null, request("tools/list", claim(42))), "modern");
  });

  it("a notification that carries the claim is modern", () => {
    assert.equal(
      classify(null, notification("notifications/cancelled", claim())),
      "modern",
    );
  });

  it("initialize without a claim is legacy, even under a modern header (a client falling back)", () => {
    const initialize = request("initialize", { protocolVersion: "2025-11-25", capabilities: {} });
    assert.equal(classify(null, initialize), "legacy");
    assert.equal(classify(MODERN, initialize), "legacy");
  });

  it("initialize that carries the claim is modern (the claim wins)", () => {
    assert.equal(classify(null, request("initialize", claim())), "modern");
  });
});

describe("classifyPost: no claim, so the header decides", () => {
  it("no header, or a legacy header, is legacy for every kind of message", () => {
    for (const header of [null, "2025-03-26", "2025-06-18", "2025-11-25", "  2025-11-25 "]) {
      assert.equal(classify(header, request("tools/list")), "legacy", `header ${header}`);
      assert.equal(classify(header, notification("notifications/initialized")), "legacy");
      assert.equal(classify(header, { jsonrpc: "2.0", id: 1, result: {} }), "legacy");
    }
  });

  it("an unknown version before 2026-07-28 in the header is legacy (the legacy pipeline answers it)", () => {
    assert.equal(classify("1999-01-01", request("tools/list")), "legacy");
    assert.equal(classify("2024-11-05", request("tools/list")), "legacy");
  });

  it("an unknown version from 2026-07-28 on counts as modern: without the envelope, refused", () => {
    // Versions compare as strings, so any header sorting at or after the first modern one is modern.
    assert.equal(asRefusal(classify("2099-01-01", request("tools/list"))).status, 400);
    assert.equal(classify("2099-01-01", notification("notifications/initialized")), "modern");
  });

  it("a request under a modern header without the envelope is refused 400/-32602 with its id", () => {
    const refusal = asRefusal(classify(MODERN, request("tools/list", undefined, 7)));
    assert.equal(refusal.status, 400);
    assert.equal(refusal.code, ErrorCode.InvalidParams);
    assert.equal(refusal.id, 7);
    assert.equal(refusal.step, "era");
    assert.match(refusal.message, /_meta must carry/);
  });

  it("the modern header is read trimmed", () => {
    assert.equal(asRefusal(classify(`  ${MODERN}  `, request("tools/list"))).status, 400);
  });

  it("a notification or a response under a modern header is modern", () => {
    assert.equal(classify(MODERN, notification("notifications/initialized")), "modern");
    assert.equal(classify(MODERN, { jsonrpc: "2.0", id: 1, result: {} }), "modern");
    assert.equal(
      classify(MODERN, { jsonrpc: "2.0", id: 1, error: { code: -1, message: "no" } }),
      "modern",
    );
  });
});

describe("classifyPost: batches", () => {
  it("a batch without a claim is legacy, whatever the header", () => {
    const batch = [request("ping", undefined, 1), notification("notifications/initialized")];
    assert.equal(classify(null, batch), "legacy");
    assert.equal(classify(MODERN, batch), "legacy");
  });

  it("a batch in which one message claims the modern era is refused 400/-32600 (2026-07-28 has no batches)", () => {
    const refusal = asRefusal(
      classify(null, [request("ping", undefined, 1), request("tools/list", claim(), 2)]),
    );
    assert.equal(refusal.status, 400);
    assert.equal(refusal.code, ErrorCode.InvalidRequest);
    assert.equal(refusal.step, "era");
    assert.match(refusal.message, /batches are not allowed/);
  });
});

describe("namesModernVersion (GET and DELETE)", () => {
  it("is true only for a supported modern version in the header, trimmed", () => {
    assert.equal(namesModernVersion(new Headers({ "mcp-protocol-version": MODERN })), true);
    assert.equal(namesModernVersion(new Headers({ "mcp-protocol-version": ` ${MODERN} ` })), true);
    assert.equal(namesModernVersion(new Headers({ "mcp-protocol-version": "2025-11-25" })), false);
    assert.equal(namesModernVersion(new Headers({ "mcp-protocol-version": "1999-01-01" })), false);
    assert.equal(namesModernVersion(new Headers()), false);
  });
});
