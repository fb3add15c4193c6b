/**
 * The telemetry the MCP semantic conventions ask for beyond requests: a
 * client notification gets a SERVER span named by its method (a known name
 * or `_OTHER`, bounded), with the method, protocol version, session and
 * transport attributes and no request id, in both eras; a server→client
 * request's CLIENT span (`elicitation/create`, `sampling/createMessage`,
 * `roots/list`, sessionful era only: 2026-07-28 has events instead) carries
 * the `jsonrpc.request.id` it was sent under.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { defineTool } from "../../../../mod.ts";
import { initialize, makeHandler, postRequest, rpc } from "../../../helpers.ts";
import { modernNotification } from "../../../support/modern_helpers.ts";
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

/** An extension that handles a notification of its own: a name the server knows. */
const pinged: string[] = [];
const extension = {
  id: "com.example/ping",
  notifications: { "notifications/example/ping": () => void pinged.push("ping") },
};

describe("OpenTelemetry: client notifications", () => {
  it("sessionful: each notification is a SERVER span named by its method, without a request id", async () => {
    const handler = makeHandler({ extensions: [extension] });
    try {
      const session = await initialize(handler);
      const caller = remoteCaller("e5");
      const post = async (method: string, params?: Record<string, unknown>) => {
        const response = await handler(postRequest({ jsonrpc: "2.0", method, params }, {
          sessionId: session.id,
          protocolVersion: session.protocolVersion,
          headers: { traceparent: caller.traceparent },
        }));
        assert.equal(response.status, 202, method);
        await response.body?.cancel();
      };
      await post("notifications/initialized");
      await post("notifications/cancelled", { requestId: 99, reason: "changed my mind" });
      await post("notifications/roots/list_changed");
      await post("notifications/example/ping");
      await post(`notifications/${"x".repeat(1_000_000)}`);
      await post("notifications/made_up");
      assert.deepEqual(pinged, ["ping"]);
      for (
        const method of [
          "notifications/initialized",
          "notifications/cancelled",
          "notifications/roots/list_changed",
          "notifications/example/ping",
        ]
      ) {
        const span = spanNamed(method);
        assert.equal(span.kind, SpanKind.SERVER, method);
        assert.deepEqual({ ...span.attributes }, {
          "mcp.method.name": method,
          "mcp.protocol.version": session.protocolVersion,
          "mcp.session.id": session.id,
          "network.transport": "tcp",
          "network.protocol.name": "http",
        }, method);
        assert.equal(span.attributes["jsonrpc.request.id"], undefined);
        assert.equal(span.status.code, SpanStatusCode.UNSET, method);
        assert.equal(parentIdOf(span), caller.context.spanId, method);
      }
      // The client's own names never become span names: both unknown ones are _OTHER.
      const others = exporter.getFinishedSpans().filter((span) => span.name === "_OTHER");
      assert.equal(others.length, 2);
      for (const span of others) assert.equal(span.attributes["mcp.method.name"], "_OTHER");
    } finally {
      await handler.close();
    }
  });

  it("2026-07-28: a notification's span has the version and no session", async () => {
    const handler = makeHandler({ extensions: [extension] });
    try {
      const response = await handler(
        modernNotification("notifications/cancelled", { requestId: "r-1" }),
      );
      assert.equal(response.status, 202);
      await response.body?.cancel();
      const span = spanNamed("notifications/cancelled");
      assert.equal(span.kind, SpanKind.SERVER);
      assert.deepEqual({ ...span.attributes }, {
        "mcp.method.name": "notifications/cancelled",
        "mcp.protocol.version": "2026-07-28",
        "network.transport": "tcp",
        "network.protocol.name": "http",
      });
      const unknown = await handler(modernNotification("notifications/made_up"));
      assert.equal(unknown.status, 202);
      await unknown.body?.cancel();
      assert.equal(spanNamed("_OTHER").attributes["mcp.method.name"], "_OTHER");
    } finally {
      await handler.close();
    }
  });
});

describe("OpenTelemetry: server→client requests", () => {
  it("each CLIENT span carries the jsonrpc.request.id it was sent under", async () => {
    const handler = makeHandler({
      streams: {
        clientRequestTimeoutMs: 50,
      },
      tools: [defineTool({
        name: "ask",
        handler: async (_input, ctx) => {
          const outcomes: string[] = [];
          const settle = (asked: Promise<unknown>) =>
            asked.then(() => outcomes.push("answered"), () => outcomes.push("timed out"));
          await settle(
            ctx.elicit({ message: "?", requestedSchema: { type: "object", properties: {} } }),
          );
          await settle(ctx.sample({ messages: [], maxTokens: 1 }));
          await settle(ctx.listRoots());
          return outcomes.join(", ");
        },
      })],
    });
    try {
      const session = await initialize(handler, {
        capabilities: { elicitation: {}, sampling: {}, roots: {} },
      });
      const answer = await rpc(handler, session, "tools/call", { name: "ask" });
      assert.equal(
        answer.messages.at(-1).result.content[0].text,
        "timed out, timed out, timed out",
      );
      for (const method of ["elicitation/create", "sampling/createMessage", "roots/list"]) {
        const sent = answer.messages.find((message) => message.method === method);
        assert.ok(sent !== undefined && typeof sent.id === "string", method);
        const span = spanNamed(method);
        assert.equal(span.kind, SpanKind.CLIENT, method);
        assert.equal(span.attributes["jsonrpc.request.id"], sent.id, method);
        assert.equal(span.attributes["mcp.method.name"], method);
        assert.equal(span.attributes["mcp.session.id"], session.id);
      }
    } finally {
      await handler.close();
    }
  });
});
