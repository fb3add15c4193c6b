/**
 * The dispatcher's audited path (src/protocol/dispatch/audited_call.ts): an active
 * sink is told each `tools/call`, `prompts/get` and `resources/read` with
 * its answer and the upstream a definition is marked with; an inactive one
 * is told nothing; a running call's continuation (`end`) keeps its
 * contract (its failure case is in dispatcher_method_table_test.ts).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { definePrompt, defineResource, defineTool } from "../../../../mod.ts";
import type { JsonRpcResponse } from "../../../../src/jsonrpc/messages.ts";
import {
  type AuditedCall,
  type AuditSink,
  UPSTREAM_OF,
} from "../../../../src/protocol/dispatch/audit.ts";
import {
  ANONYMOUS_PRINCIPAL,
  type RequestContext,
} from "../../../../src/protocol/context/request_context.ts";
import { Dispatcher, type ServerDefinition } from "../../../../src/protocol/dispatch/dispatcher.ts";

const ctx: RequestContext = {
  protocolVersion: "2025-11-25",
  clientCapabilities: {},
  principal: ANONYMOUS_PRINCIPAL,
  signal: new AbortController().signal,
  notify: () => Promise.resolve(),
  setLogLevel: () => Promise.resolve(),
  subscribe: () => Promise.resolve(),
  unsubscribe: () => Promise.resolve(),
};

/** A sink that keeps what it is told; `active` says whether it takes records. */
function sink(active: boolean): AuditSink & { calls: AuditedCall[] } {
  const calls: AuditedCall[] = [];
  return { calls, active: () => active, finished: (call) => void calls.push(call) };
}

/** What the gateway does to the definitions it makes for upstream "up". */
const fromUp = { [UPSTREAM_OF]: "up" };

function definition(overrides: Partial<ServerDefinition>): ServerDefinition {
  return {
    info: { name: "unit", version: "1.0.0" },
    pageSize: 50,
    maxUriBytes: 8_192,
    onError: () => {},
    ...overrides,
  };
}

describe("Dispatcher: the audited path", () => {
  it("tells an active sink each audited call, its answer and its definition's upstream", async () => {
    const audit = sink(true);
    const dispatcher = new Dispatcher(definition({
      tools: [
        defineTool({ name: "now", handler: () => "now" }),
        {
          ...defineTool({ name: "up_later", handler: () => Promise.resolve("later") }),
          ...fromUp,
        },
      ],
      prompts: [definePrompt({ name: "hello", handler: () => "Hello" })],
      resources: [{
        ...defineResource({ uri: "up://doc", name: "doc", read: () => "d" }),
        ...fromUp,
      }],
      audit,
    }));
    const sync = dispatcher.handle(
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "now" } },
      ctx,
    );
    assert.ok(!(sync instanceof Promise), "a synchronous tool is still answered at once");
    assert.equal(audit.calls.length, 1);
    assert.equal(audit.calls[0].response, sync);
    assert.equal(audit.calls[0].upstream, undefined);
    const seen: (JsonRpcResponse | undefined)[] = [];
    const end = { responded: (response: JsonRpcResponse | undefined) => (seen.push(response), 7) };
    const later = dispatcher.handle(
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "up_later" } },
      ctx,
      end,
    );
    assert.equal(await later, 7, "the promise is what `end` returns");
    assert.equal(seen.length, 1);
    assert.equal(audit.calls[1].upstream, "up");
    assert.equal(audit.calls[1].response, seen[0]);
    await dispatcher.handle(
      { jsonrpc: "2.0", id: 3, method: "prompts/get", params: { name: "hello" } },
      ctx,
    );
    await dispatcher.handle(
      { jsonrpc: "2.0", id: 4, method: "resources/read", params: { uri: "up://doc" } },
      ctx,
    );
    await dispatcher.handle({ jsonrpc: "2.0", id: 5, method: "tools/list" }, ctx);
    assert.deepEqual(audit.calls.map((call) => call.request.method), [
      "tools/call",
      "tools/call",
      "prompts/get",
      "resources/read",
    ]);
    assert.equal(audit.calls[3].upstream, "up");
  });

  it("tells an inactive sink nothing", async () => {
    const audit = sink(false);
    const dispatcher = new Dispatcher(definition({
      tools: [defineTool({ name: "now", handler: () => "now" })],
      audit,
    }));
    await dispatcher.handle(
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "now" } },
      ctx,
    );
    assert.equal(audit.calls.length, 0);
  });
});
