/**
 * Icons, any output schema and URL-mode elicitation as the official SDK
 * clients see them: SDK v1 (1.32) on 2025-11-25, SDK v2 (2.4) pinned to
 * 2026-07-28 and on its legacy default. Icons arrive on the server info and
 * the tool list; the spec's array-output `list_users` is usable by both (v2
 * on 2026-07-28 gets and checks the array; v1, whose revision allows only
 * object output, gets the tool without the schema and the text alone); a
 * tool's `UrlElicitationRequiredError` is the SDKs' own
 * `UrlElicitationRequiredError` on 2025-11-25, with the completion
 * notification reaching the client, and an elicitation handler round on
 * 2026-07-28 after which the retried call succeeds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
  UrlElicitationRequiredError as UrlErrorV2,
} from "@modelcontextprotocol/client";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import {
  ElicitationCompleteNotificationSchema,
  UrlElicitationRequiredError as UrlErrorV1,
} from "@modelcontextprotocol/sdk/types.js";
import { defineTool, UrlElicitationRequiredError } from "../../../mod.ts";
import type { Icon } from "../../../src/types/mod.ts";
import { deferred, waitFor, withServer, withTimeout } from "./helpers.ts";

const ICON: Icon = { src: "https://example.com/icon.png", mimeType: "image/png", sizes: ["48x48"] };
const USERS = [
  { id: "1", name: "Alice", email: "alice@example.com" },
  { id: "2", name: "Bob", email: "bob@example.com" },
];
const STEP = {
  elicitationId: "link-1",
  url: "https://mcp.example.com/link?e=link-1",
  message: "Link your account.",
};

function options(linked: { done: boolean }) {
  return {
    icons: [ICON],
    tools: [
      defineTool({ name: "draw", icons: [ICON], handler: () => "drawn" }),
      defineTool({
        name: "list_users",
        input: { type: "object", properties: {} },
        output: {
          type: "array",
          items: {
            type: "object",
            properties: {
              id: { type: "string" },
              name: { type: "string" },
              email: { type: "string" },
            },
            required: ["id", "name", "email"],
          },
        },
        handler: () => ({
          content: [{ type: "text", text: "Found 2 users." }],
          structuredContent: USERS,
        }),
      }),
      defineTool({
        name: "files",
        handler: () => {
          if (!linked.done) throw new UrlElicitationRequiredError(STEP);
          return "report.pdf";
        },
      }),
      defineTool({
        name: "finish",
        handler: async (_input, ctx) => {
          await ctx.elicitationComplete(STEP.elicitationId);
          return "finished";
        },
      }),
    ],
  };
}

describe("SDK v1 on 2025-11-25", () => {
  it("gets the completion from outside any call: handler.notify on the session's listening stream", async () => {
    await withServer(options({ done: false }), async (server) => {
      const completed = deferred<string>();
      const { client, sessionId } = await server.connect({
        capabilities: { elicitation: { form: {}, url: {} } },
        setup: (c) =>
          c.setNotificationHandler(
            ElicitationCompleteNotificationSchema,
            (notification) => completed.resolve(notification.params.elicitationId),
          ),
      });
      await client.callTool({ name: "files", arguments: {} }).catch(() => {});
      // What an OAuth callback does once the user is back: it knows the session that asked.
      await waitFor(
        async () => (await server.handler.stats()).openStreams === 1,
        "the listening stream opens",
      );
      const sent = await server.handler.notify(sessionId, {
        method: "notifications/elicitation/complete",
        params: { elicitationId: STEP.elicitationId },
      });
      assert.equal(sent, true);
      assert.equal(
        await withTimeout(completed.promise, 5_000, "the completion arrives"),
        "link-1",
      );
    });
  });

  it("sees icons on serverInfo and tools", async () => {
    await withServer(options({ done: false }), async (server) => {
      const { client } = await server.connect();
      assert.deepEqual(client.getServerVersion()?.icons, [ICON]);
      const tools = (await client.listTools()).tools;
      assert.deepEqual(tools.find((t) => t.name === "draw")?.icons, [ICON]);
    });
  });

  it("calls the array-output tool: no outputSchema, no structuredContent, the text", async () => {
    await withServer(options({ done: false }), async (server) => {
      const { client } = await server.connect();
      const tools = (await client.listTools()).tools;
      assert.equal(tools.find((t) => t.name === "list_users")?.outputSchema, undefined);
      const result = await client.callTool({ name: "list_users", arguments: {} });
      assert.equal(result.structuredContent, undefined);
      assert.deepEqual(result.content, [{ type: "text", text: "Found 2 users." }]);
    });
  });

  it("gets its own UrlElicitationRequiredError, and the completion notification", async () => {
    await withServer(options({ done: false }), async (server) => {
      const completed = deferred<string>();
      const { client } = await server.connect({
        capabilities: { elicitation: { form: {}, url: {} } },
        setup: (c) =>
          c.setNotificationHandler(
            ElicitationCompleteNotificationSchema,
            (notification) => completed.resolve(notification.params.elicitationId),
          ),
      });
      const error = await client.callTool({ name: "files", arguments: {} }).then(
        () => assert.fail("the call should fail"),
        (thrown) => thrown,
      );
      assert.ok(error instanceof UrlErrorV1, `got ${error}`);
      assert.deepEqual(error.elicitations, [{ mode: "url", ...STEP }]);
      await client.callTool({ name: "finish", arguments: {} });
      assert.equal(
        await withTimeout(completed.promise, 5_000, "the completion arrives"),
        "link-1",
      );
    });
  });
});

function clientV2(pin: "2026-07-28" | "legacy", onUrl: (params: Record<string, unknown>) => void) {
  const client = new ClientV2({ name: "extras-v2", version: "1.0.0" }, {
    capabilities: { elicitation: { form: {}, url: {} } },
    versionNegotiation: { mode: pin === "legacy" ? "legacy" : { pin } },
  });
  client.setRequestHandler("elicitation/create", (request) => {
    onUrl(request.params as Record<string, unknown>);
    return Promise.resolve({ action: "accept" });
  });
  client.onerror = () => {};
  return client;
}

describe("SDK v2 pinned to 2026-07-28", () => {
  it("sees icons on tools and gets the array structuredContent", async () => {
    await withServer(options({ done: false }), async (server) => {
      const client = clientV2("2026-07-28", () => {});
      server.defer(() => client.close());
      await client.connect(new TransportV2(new URL(server.url)));
      const tools = (await client.listTools()).tools;
      assert.deepEqual(tools.find((t) => t.name === "draw")?.icons, [ICON]);
      assert.equal(
        (tools.find((t) => t.name === "list_users")?.outputSchema as { type?: string })?.type,
        "array",
      );
      const result = await client.callTool({ name: "list_users", arguments: {} });
      assert.deepEqual(result.structuredContent, USERS);
    });
  });

  it("a URL elicitation round: the handler gets mode url, the user finishes, the retry succeeds", async () => {
    const linked = { done: false };
    await withServer(options(linked), async (server) => {
      const asked: Record<string, unknown>[] = [];
      const client = clientV2("2026-07-28", (params) => {
        asked.push(params);
        linked.done = true; // The user completes the step in the browser before accepting.
      });
      server.defer(() => client.close());
      await client.connect(new TransportV2(new URL(server.url)));
      const result = await client.callTool({ name: "files", arguments: {} });
      assert.deepEqual(result.content, [{ type: "text", text: "report.pdf" }]);
      assert.equal(asked.length, 1);
      assert.equal(asked[0].mode, "url");
      assert.equal(asked[0].url, STEP.url);
      assert.equal(asked[0].message, STEP.message);
    });
  });
});

describe("SDK v2 on its legacy default (2025-11-25)", () => {
  it("gets its own UrlElicitationRequiredError", async () => {
    await withServer(options({ done: false }), async (server) => {
      const client = clientV2("legacy", () => {});
      server.defer(() => client.close());
      await client.connect(new TransportV2(new URL(server.url)));
      const error = await client.callTool({ name: "files", arguments: {} }).then(
        () => assert.fail("the call should fail"),
        (thrown) => thrown,
      );
      assert.ok(error instanceof UrlErrorV2, `got ${error}`);
      assert.equal(error.elicitations[0].url, STEP.url);
    });
  });
});
