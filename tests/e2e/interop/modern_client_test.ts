/**
 * The official SDK v2 client (`@modelcontextprotocol/client`) against tether
 * over real HTTP on the runtime running the test, speaking 2026-07-28
 * (pinned, and negotiated by `auto`) and, as a control, the default legacy
 * era: lists, calls, progress, logging, elicitation and sampling through
 * input_required round trips, cancellation by aborting the request, and
 * subscriptions/listen receiving tools/list_changed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { defineTool } from "../../../mod.ts";
import { deferred, waitFor, withServer, withTimeout as within } from "./helpers.ts";
import { blockingTool } from "../../blocking_tool.ts";

const MODES = [
  {
    name: "pinned to 2026-07-28",
    mode: { pin: "2026-07-28" },
    version: "2026-07-28",
    versions: undefined,
  },
  {
    name: "2026-only (auto, no legacy fallback)",
    mode: "auto",
    version: "2026-07-28",
    versions: ["2026-07-28"],
  },
  { name: "auto (discover first)", mode: "auto", version: "2026-07-28", versions: undefined },
  { name: "legacy (the default)", mode: "legacy", version: "2025-11-25", versions: undefined },
] as const;

const NAME_FORM = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };

function tools(wait = blockingTool({ name: "wait" })) {
  return [
    defineTool({
      name: "add",
      input: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
      handler: (input) => {
        const { a, b } = input as { a: number; b: number };
        return String(a + b);
      },
    }),
    defineTool({
      name: "steps",
      handler: async (_input, ctx) => {
        await ctx.log("info", "starting");
        for (let i = 1; i <= 3; i++) await ctx.progress(i, 3);
        return "stepped";
      },
    }),
    defineTool({
      name: "greet",
      handler: async (_input, ctx) => {
        const answer = await ctx.elicit({ message: "Name?", requestedSchema: NAME_FORM }, {
          key: "user_name",
        });
        const sample = await ctx.sample({
          messages: [{ role: "user", content: { type: "text", text: "Capital of France?" } }],
          maxTokens: 10,
        });
        const content = sample.content as { text?: string };
        return `Hello, ${
          answer.action === "accept" ? answer.content?.name : "stranger"
        }; model says ${content.text}`;
      },
    }),
    wait.tool,
  ];
}

function newClient({ mode, versions }: (typeof MODES)[number]): Client {
  const client = new Client({ name: "v2-interop", version: "1.0.0" }, {
    capabilities: { elicitation: {}, sampling: {} },
    versionNegotiation: { mode },
    ...(versions === undefined ? {} : { supportedProtocolVersions: [...versions] }),
  });
  client.setRequestHandler(
    "elicitation/create",
    () => Promise.resolve({ action: "accept", content: { name: "Alice" } }),
  );
  client.setRequestHandler(
    "sampling/createMessage",
    () =>
      Promise.resolve({
        role: "assistant",
        content: { type: "text", text: "Paris" },
        model: "test",
      }),
  );
  client.onerror = () => {};
  return client;
}

for (const setting of MODES) {
  const { name, version } = setting;
  describe(`SDK v2 client, ${name}`, () => {
    it("negotiates its era, lists, calls, streams progress and logs", async () => {
      await withServer({ tools: tools() }, async (server) => {
        const client = newClient(setting);
        const transport = new StreamableHTTPClientTransport(new URL(server.url));
        server.defer(() => client.close());
        await client.connect(transport);
        assert.equal(transport.protocolVersion ?? version, version);
        assert.equal(
          transport.sessionId === undefined,
          version === "2026-07-28",
          "sessions only in the legacy era",
        );
        const listed = await client.listTools();
        assert.deepEqual(listed.tools.map((tool) => tool.name), ["add", "steps", "greet", "wait"]);
        const sum = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
        assert.deepEqual(sum.content, [{ type: "text", text: "5" }]);
        const progress: number[] = [];
        const logs: unknown[] = [];
        client.setNotificationHandler(
          "notifications/message",
          (notification) => void logs.push(notification.params.data),
        );
        if (version === "2025-11-25") await client.setLoggingLevel("debug");
        const stepped = await client.callTool(
          { name: "steps", arguments: {}, _meta: { "io.modelcontextprotocol/logLevel": "debug" } },
          { onprogress: (event) => void progress.push(event.progress) },
        );
        assert.deepEqual(stepped.content, [{ type: "text", text: "stepped" }]);
        assert.deepEqual(progress, [1, 2, 3]);
        await waitFor(() => logs.length === 1, "the log message arrives");
        assert.deepEqual(logs, ["starting"]);
      });
    });

    it("elicitation and sampling reach the client's handlers (input_required round trips in 2026)", async () => {
      await withServer({ tools: tools() }, async (server) => {
        const client = newClient(setting);
        server.defer(() => client.close());
        await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
        const result = await client.callTool({ name: "greet", arguments: {} });
        assert.deepEqual(result.content, [{
          type: "text",
          text: "Hello, Alice; model says Paris",
        }]);
      });
    });

    it("aborting the request cancels the tool: its signal fires", async () => {
      const wait = blockingTool({ name: "wait" });
      await withServer({ tools: tools(wait) }, async (server) => {
        const client = newClient(setting);
        server.defer(() => client.close());
        await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
        const controller = new AbortController();
        const call = client.callTool({ name: "wait", arguments: {} }, {
          signal: controller.signal,
        });
        call.catch(() => {});
        await within(wait.started, 5_000, "the tool starts");
        controller.abort();
        await within(wait.aborted, 5_000, "the tool's signal aborts");
        await assert.rejects(call);
        await waitFor(
          async () => (await server.handler.stats()).inFlight === 0,
          "the work is released",
        );
      });
    });

    it("receives tools/list_changed when a tool is added", async () => {
      await withServer({ tools: tools() }, async (server) => {
        const client = newClient(setting);
        server.defer(() => client.close());
        const changed = deferred();
        client.setNotificationHandler("notifications/tools/list_changed", () => changed.resolve());
        const transport = new StreamableHTTPClientTransport(new URL(server.url));
        await client.connect(transport);
        if (version === "2026-07-28") {
          const subscription = await client.listen({ toolsListChanged: true });
          server.defer(() => subscription.close());
          assert.equal(subscription.honoredFilter.toolsListChanged, true);
        } else {
          // The legacy client opens its GET listening stream after initialize.
          await waitFor(
            async () => (await server.handler.stats()).openStreams === 1,
            "the listening stream opens",
          );
        }
        server.handler.tools.add(defineTool({ name: "late", handler: () => "late" }));
        await within(changed.promise, 5_000, "tools/list_changed arrives");
      });
    });
  });
}
