/**
 * onEvent's request events name the tool, prompt or resource a single
 * request is about and the session it belongs to (the one `initialize`
 * created, for initialize itself); 2026-07-28 requests have no session.
 * Client-request timeouts name their session.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineResource, defineTool, type McpEvent } from "../../../mod.ts";
import { initialize, makeHandler, rpc } from "../../helpers.ts";
import { modernRpc } from "../../support/modern_helpers.ts";

type RequestEvent = Extract<McpEvent, { type: "request" }>;

describe("onEvent: names and sessions", () => {
  it("request events carry the tool, prompt or resource and the session id", async () => {
    const seen: McpEvent[] = [];
    const handler = makeHandler({
      observe: {
        onEvent: (event) => void seen.push(event),
      },
      streams: {
        clientRequestTimeoutMs: 20,
      },
      tools: [
        defineTool({ name: "echo", handler: () => "hi" }),
        defineTool({
          name: "ask",
          handler: async (_input, ctx) => {
            await ctx.listRoots().catch(() => undefined);
            return "done";
          },
        }),
      ],
      resources: [defineResource({ uri: "memo://one", name: "one", read: () => "1" })],
    });
    try {
      const session = await initialize(handler, { capabilities: { roots: {} } });
      await rpc(handler, session, "tools/call", { name: "echo", arguments: {} });
      await rpc(handler, session, "resources/read", { uri: "memo://one" });
      await rpc(handler, session, "tools/call", { name: "ask", arguments: {} });
      await modernRpc(handler, "tools/call", { name: "echo", arguments: {} });
      const requests = seen.filter((event): event is RequestEvent => event.type === "request")
        .map(({ method, era, sessionId, tool, prompt, resource }) => ({
          method,
          era,
          sessionId,
          tool,
          prompt,
          resource,
        }));
      const none = { prompt: undefined, resource: undefined, tool: undefined };
      assert.deepEqual(requests, [
        { ...none, method: "initialize", era: "legacy", sessionId: session.id },
        { ...none, method: "tools/call", era: "legacy", sessionId: session.id, tool: "echo" },
        {
          ...none,
          method: "resources/read",
          era: "legacy",
          sessionId: session.id,
          resource: "memo://one",
        },
        { ...none, method: "tools/call", era: "legacy", sessionId: session.id, tool: "ask" },
        { ...none, method: "tools/call", era: "modern", sessionId: undefined, tool: "echo" },
      ]);
      assert.deepEqual(
        seen.filter((event) => event.type === "client-request-timeout"),
        [{ type: "client-request-timeout", method: "roots/list", sessionId: session.id }],
      );
    } finally {
      await handler.close();
    }
  });
});
