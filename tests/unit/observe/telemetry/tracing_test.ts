/**
 * OpenTelemetry through the API, with the SDK's in-memory exporter: the
 * SERVER span per request follows the MCP semantic conventions (name, kind,
 * attributes), is parented on the HTTP trace headers or `_meta.traceparent`
 * (which wins, with a link to the other), handlers run in a child span that
 * tool code can propagate (explicitly via ctx.traceContext, and as the
 * active context), errors are recorded, and server→client requests show up
 * (a CLIENT span in a session, events in 2026-07-28).
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { definePrompt, defineTool, type HandlerContext } from "../../../../mod.ts";
import { initialize, makeHandler, postRequest, readAnswer, rpc, sleep } from "../../../helpers.ts";
import { modernRpc } from "../../../support/modern_helpers.ts";
import {
  exporter,
  parentIdOf,
  registerSdk,
  remoteCaller,
  spanNamed,
  unregisterSdk,
} from "./otel_sdk.ts";

before(registerSdk);
after(unregisterSdk);

afterEach(() => exporter.reset());

const echo = defineTool({
  name: "echo",
  handler: ({ text }: { text?: string }) => text ?? "",
});

const broken = defineTool({
  name: "broken",
  handler: () => {
    throw new TypeError("no such thing");
  },
});

/** What a tool saw of its trace context: explicitly, and as the active context after an await. */
interface Seen {
  explicit?: string;
  active?: string;
  childParent?: string;
}

function propagating(seen: Seen) {
  return defineTool({
    name: "propagate",
    handler: async (_input, ctx: HandlerContext) => {
      await sleep(1);
      const explicit: Record<string, string> = {};
      propagation.inject(ctx.traceContext!, explicit);
      const active: Record<string, string> = {};
      propagation.inject(context.active(), active);
      seen.explicit = explicit.traceparent;
      seen.active = active.traceparent;
      // The tool's own outgoing call, started with the active context.
      const outgoing = trace.getTracer("tool-code").startSpan("outgoing call");
      seen.childParent = parentIdOf(outgoing as unknown as Parameters<typeof parentIdOf>[0]);
      outgoing.end();
      return "ok";
    },
  });
}

describe("OpenTelemetry: the sessionful era", () => {
  it("a tools/call gives a SERVER span with the MCP attributes and a child span for the tool", async () => {
    const handler = makeHandler({ tools: [echo] });
    try {
      const session = await initialize(handler);
      const init = spanNamed("initialize");
      assert.equal(init.kind, SpanKind.SERVER);
      assert.equal(init.attributes["mcp.session.id"], session.id);
      assert.equal(init.attributes["mcp.protocol.version"], session.protocolVersion);

      const answer = await rpc(handler, session, "tools/call", {
        name: "echo",
        arguments: { text: "hi" },
      }, { id: 7 });
      assert.equal(answer.message.result.content[0].text, "hi");
      const server = spanNamed("tools/call echo");
      assert.equal(server.kind, SpanKind.SERVER);
      assert.deepEqual(
        { ...server.attributes },
        {
          "mcp.method.name": "tools/call",
          "mcp.protocol.version": session.protocolVersion,
          "mcp.session.id": session.id,
          "jsonrpc.request.id": "7",
          "gen_ai.tool.name": "echo",
          "gen_ai.operation.name": "execute_tool",
          "network.transport": "tcp",
          "network.protocol.name": "http",
        },
      );
      assert.equal(server.status.code, SpanStatusCode.UNSET);
      const run = spanNamed("execute_tool echo");
      assert.equal(run.kind, SpanKind.INTERNAL);
      assert.equal(parentIdOf(run), server.spanContext().spanId);
      assert.equal(run.spanContext().traceId, server.spanContext().traceId);
    } finally {
      await handler.close();
    }
  });

  it("the SERVER span continues the trace of the POST's traceparent header", async () => {
    const handler = makeHandler({ tools: [echo] });
    try {
      const session = await initialize(handler);
      const caller = remoteCaller("a1");
      await rpc(handler, session, "tools/list", undefined, {
        headers: { traceparent: caller.traceparent },
      });
      const span = spanNamed("tools/list");
      assert.equal(span.spanContext().traceId, caller.context.traceId);
      assert.equal(parentIdOf(span), caller.context.spanId);
      assert.equal(span.links.length, 0);
    } finally {
      await handler.close();
    }
  });

  it("_meta.traceparent wins over the header, and the span links to the header's context", async () => {
    const handler = makeHandler({ tools: [echo] });
    try {
      const session = await initialize(handler);
      const http = remoteCaller("b2");
      const mcp = remoteCaller("c3");
      await rpc(handler, session, "tools/call", {
        name: "echo",
        arguments: { text: "x" },
        _meta: { traceparent: mcp.traceparent },
      }, { headers: { traceparent: http.traceparent } });
      const span = spanNamed("tools/call echo");
      assert.equal(span.spanContext().traceId, mcp.context.traceId);
      assert.equal(parentIdOf(span), mcp.context.spanId);
      assert.deepEqual(span.links.map((link) => link.context.spanId), [http.context.spanId]);
    } finally {
      await handler.close();
    }
  });

  it("errors: a JSON-RPC error sets error.type and the status; a failing tool or prompt marks its span", async () => {
    const failing = definePrompt({
      name: "failing",
      handler: () => {
        throw new TypeError("no template");
      },
    });
    const handler = makeHandler({ tools: [echo, broken], prompts: [failing] });
    try {
      const session = await initialize(handler);
      await rpc(handler, session, "tools/call", { name: "nothing" });
      // A tool the server does not define is named _OTHER (bounded_names_test.ts).
      const unknown = spanNamed("tools/call _OTHER");
      assert.equal(unknown.attributes["gen_ai.tool.name"], "_OTHER");
      assert.equal(unknown.attributes["error.type"], "-32602");
      assert.equal(unknown.attributes["rpc.response.status_code"], "-32602");
      assert.equal(unknown.status.code, SpanStatusCode.ERROR);
      assert.match(unknown.status.message ?? "", /Unknown tool/);

      // A tool's failure is a result with isError: error.type tool_error, on both spans.
      const answer = await rpc(handler, session, "tools/call", { name: "broken", arguments: {} });
      assert.equal(answer.message.result.isError, true);
      for (const name of ["tools/call broken", "execute_tool broken"]) {
        assert.equal(spanNamed(name).attributes["error.type"], "tool_error", name);
        assert.equal(spanNamed(name).status.code, SpanStatusCode.ERROR, name);
      }

      // A prompt that throws: the run's span records the exception, the request answers -32603.
      await rpc(handler, session, "prompts/get", { name: "failing" });
      const run = spanNamed("get_prompt failing");
      assert.equal(run.attributes["error.type"], "TypeError");
      assert.equal(run.status.code, SpanStatusCode.ERROR);
      assert.ok(
        run.events.some((event) => event.name === "exception"),
        "the exception is recorded",
      );
      assert.equal(spanNamed("prompts/get failing").attributes["error.type"], "-32603");
    } finally {
      await handler.close();
    }
  });

  it("tool code gets the tool span's context on ctx and as the active context across awaits", async () => {
    const seen: Seen = {};
    const handler = makeHandler({ tools: [propagating(seen)] });
    try {
      const session = await initialize(handler);
      await rpc(handler, session, "tools/call", { name: "propagate", arguments: {} });
      const run = spanNamed("execute_tool propagate");
      const expected = `00-${run.spanContext().traceId}-${run.spanContext().spanId}-01`;
      assert.equal(seen.explicit, expected, "ctx.traceContext is the tool span's");
      assert.equal(seen.active, expected, "the tool span is active after an await");
      assert.equal(seen.childParent, run.spanContext().spanId, "a span the tool starts is a child");
    } finally {
      await handler.close();
    }
  });

  it("a server→client request is a CLIENT span under the tool's span, with its error", async () => {
    const handler = makeHandler({
      streams: {
        clientRequestTimeoutMs: 50,
      },
      tools: [defineTool({
        name: "ask",
        handler: async (_input, ctx) => {
          try {
            await ctx.elicit({ message: "?", requestedSchema: { type: "object", properties: {} } });
            return "answered";
          } catch {
            return "timed out";
          }
        },
      })],
    });
    try {
      const session = await initialize(handler, { capabilities: { elicitation: {} } });
      const answer = await rpc(handler, session, "tools/call", { name: "ask" });
      assert.equal(answer.messages.at(-1).result.content[0].text, "timed out");
      const asked = spanNamed("elicitation/create");
      assert.equal(asked.kind, SpanKind.CLIENT);
      assert.equal(asked.attributes["mcp.method.name"], "elicitation/create");
      assert.equal(asked.attributes["mcp.session.id"], session.id);
      assert.equal(asked.status.code, SpanStatusCode.ERROR);
      assert.equal(asked.attributes["error.type"], "timeout");
      assert.equal(parentIdOf(asked), spanNamed("execute_tool ask").spanContext().spanId);
    } finally {
      await handler.close();
    }
  });

  it("a batch gives one SERVER span per request, each on the POST's trace", async () => {
    const handler = makeHandler({ tools: [echo] });
    try {
      const session = await initialize(handler, { protocolVersion: "2025-03-26" });
      const caller = remoteCaller("d4");
      const response = await handler(postRequest([
        { jsonrpc: "2.0", id: 1, method: "ping" },
        { jsonrpc: "2.0", id: 2, method: "tools/list" },
      ], {
        sessionId: session.id,
        protocolVersion: session.protocolVersion,
        headers: { traceparent: caller.traceparent },
      }));
      await readAnswer(response);
      for (const name of ["ping", "tools/list"]) {
        assert.equal(parentIdOf(spanNamed(name)), caller.context.spanId, name);
      }
    } finally {
      await handler.close();
    }
  });
});

describe("OpenTelemetry: the 2026-07-28 era", () => {
  it("a tools/call is parented on _meta.traceparent, with no session id", async () => {
    const handler = makeHandler({ tools: [echo] });
    try {
      const caller = remoteCaller("e5");
      const answer = await modernRpc(handler, "tools/call", {
        name: "echo",
        arguments: { text: "hi" },
      }, { id: "r-1", meta: { traceparent: caller.traceparent } });
      assert.equal(answer.message.result.content[0].text, "hi");
      const span = spanNamed("tools/call echo");
      assert.equal(span.kind, SpanKind.SERVER);
      assert.equal(parentIdOf(span), caller.context.spanId);
      assert.equal(span.attributes["mcp.protocol.version"], "2026-07-28");
      assert.equal(span.attributes["jsonrpc.request.id"], "r-1");
      assert.equal(span.attributes["mcp.session.id"], undefined);
      assert.equal(parentIdOf(spanNamed("execute_tool echo")), span.spanContext().spanId);
    } finally {
      await handler.close();
    }
  });

  it("server/discover has its SERVER span too", async () => {
    const handler = makeHandler({ tools: [echo] });
    try {
      const caller = remoteCaller("9f");
      await modernRpc(handler, "server/discover", {}, {
        meta: { traceparent: caller.traceparent },
      });
      const span = spanNamed("server/discover");
      assert.equal(span.kind, SpanKind.SERVER);
      assert.equal(parentIdOf(span), caller.context.spanId);
    } finally {
      await handler.close();
    }
  });

  it("the HTTP traceparent header parents it when _meta has none", async () => {
    const handler = makeHandler({ tools: [echo] });
    try {
      const caller = remoteCaller("f6");
      await modernRpc(handler, "tools/list", {}, { headers: { traceparent: caller.traceparent } });
      assert.equal(parentIdOf(spanNamed("tools/list")), caller.context.spanId);
    } finally {
      await handler.close();
    }
  });

  it("input_required rounds: the ask is an event on the SERVER span, answered or not", async () => {
    const handler = makeHandler({
      tools: [defineTool({
        name: "confirm",
        handler: async (_input, ctx) => {
          const answer = await ctx.elicit({
            message: "Go on?",
            requestedSchema: { type: "object", properties: {} },
          });
          return answer.action;
        },
      })],
    });
    try {
      const capabilities = { elicitation: {} };
      const first = await modernRpc(handler, "tools/call", { name: "confirm" }, { capabilities });
      assert.equal(first.message.result.resultType, "input_required");
      const asking = spanNamed("tools/call confirm");
      assert.deepEqual(
        asking.events.map((event) => [event.name, { ...event.attributes }]),
        [
          ["mcp.input_request", {
            "mcp.method.name": "elicitation/create",
            "tether.input.answered": false,
          }],
          ["mcp.input_required", { "tether.input.requests": 1 }],
        ],
      );
      assert.equal(asking.status.code, SpanStatusCode.UNSET, "asking for input is no error");
      exporter.reset();

      const second = await modernRpc(handler, "tools/call", {
        name: "confirm",
        requestState: first.message.result.requestState,
        inputResponses: { "elicitation-1": { action: "accept", content: {} } },
      }, { capabilities });
      assert.equal(second.message.result.content[0].text, "accept");
      assert.deepEqual(
        spanNamed("tools/call confirm").events.map((
          event,
        ) => [event.name, { ...event.attributes }]),
        [["mcp.input_request", {
          "mcp.method.name": "elicitation/create",
          "tether.input.answered": true,
        }]],
      );
    } finally {
      await handler.close();
    }
  });

  it("tool code gets the tool span's context here too", async () => {
    const seen: Seen = {};
    const handler = makeHandler({ tools: [propagating(seen)] });
    try {
      await modernRpc(handler, "tools/call", { name: "propagate", arguments: {} });
      const run = spanNamed("execute_tool propagate");
      const expected = `00-${run.spanContext().traceId}-${run.spanContext().spanId}-01`;
      assert.equal(seen.explicit, expected);
      assert.equal(seen.active, expected);
      assert.equal(seen.childParent, run.spanContext().spanId);
    } finally {
      await handler.close();
    }
  });
});
