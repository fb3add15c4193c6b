/**
 * What a stdio server asks of its client, and list changes, through the
 * official SDK clients' own stdio transports, with examples/stdio.ts run
 * on the test's runtime: sampling (`sampling/createMessage`) and roots
 * (`roots/list`) reach the client's handlers, and a tool that changes the
 * tool list sends `notifications/tools/list_changed`, after which
 * `tools/list` shows the change. v1 (`@modelcontextprotocol/sdk`) in a
 * 2025-11-25 session (server requests and the listening stream); v2
 * (`@modelcontextprotocol/client`) pinned to 2026-07-28 (`input_required`
 * rounds, and the change on a `subscriptions/listen` stream).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.d.ts"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import {
  CreateMessageRequestSchema,
  ListRootsRequestSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { Client as ModernClient } from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdioTransport } from "@modelcontextprotocol/client/stdio";
import { within } from "../../helpers.ts";
import { runtimeCommand } from "../gateway/runtime_command.ts";
import { connectWithin, EXAMPLE } from "./stdio_process.ts";

const ROOTS = [{ uri: "file:///work/project", name: "project" }];
const SAMPLED = {
  role: "assistant" as const,
  content: { type: "text" as const, text: "Paris" },
  model: "test-model",
};

function textOf(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0].text;
}

function toolNames(listed: { tools: { name: string }[] }): string[] {
  return listed.tools.map((tool) => tool.name);
}

/** A promise of the next call of the returned function, with a deadline. */
function nextSignal() {
  let resolve = () => {};
  let promise = new Promise<void>((r) => resolve = r);
  return {
    fire: () => resolve(),
    async next(what: string) {
      await within(promise, 20_000, what);
      promise = new Promise<void>((r) => resolve = r);
    },
  };
}

/** The calls both SDK clients answer alike. */
interface ToolClient {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
}

/**
 * test_sampling's prompt reaches the client's sampling handler (which
 * pushes it onto `prompts`) and its answer the tool; the client's roots
 * reach test_input_required_result_list_roots.
 */
async function assertSamplingAndRoots(client: ToolClient, prompts: string[]): Promise<void> {
  const sampled = await client.callTool({
    name: "test_sampling",
    arguments: { prompt: "Capital of France?" },
  });
  assert.equal(textOf(sampled), "LLM response: Paris");
  assert.deepEqual(prompts, ["Capital of France?"]);
  const rooted = await client.callTool({
    name: "test_input_required_result_list_roots",
    arguments: {},
  });
  assert.equal(textOf(rooted), "roots: file:///work/project");
}

/**
 * test_trigger_tool_change adds test_dynamic_tool, then removes it: each
 * change reaches the client as tools/list_changed, and tools/list shows it.
 */
async function assertToolListChanges(
  client: ToolClient,
  changed: ReturnType<typeof nextSignal>,
): Promise<void> {
  assert.ok(!toolNames(await client.listTools()).includes("test_dynamic_tool"));
  const added = await client.callTool({ name: "test_trigger_tool_change", arguments: {} });
  assert.equal(textOf(added), "added test_dynamic_tool");
  await changed.next("tools/list_changed after the tool is added");
  assert.ok(toolNames(await client.listTools()).includes("test_dynamic_tool"));
  const dynamic = await client.callTool({ name: "test_dynamic_tool", arguments: {} });
  assert.equal(textOf(dynamic), "dynamic");
  const removed = await client.callTool({ name: "test_trigger_tool_change", arguments: {} });
  assert.equal(textOf(removed), "removed test_dynamic_tool");
  await changed.next("tools/list_changed after the tool is removed");
  assert.ok(!toolNames(await client.listTools()).includes("test_dynamic_tool"));
}

describe("SDK v1 client over stdio (2025-11-25): sampling, roots, list changes", () => {
  it("a tool samples and lists roots through the client; a tool list change reaches it", async () => {
    const { command, args } = runtimeCommand(EXAMPLE);
    const client = new Client({ name: "stdio-v1", version: "1.0.0" }, {
      capabilities: { sampling: {}, roots: { listChanged: true } },
    });
    const prompts: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, (request) => {
      const content = request.params.messages[0].content as { text?: string };
      prompts.push(content.text ?? "");
      return SAMPLED;
    });
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: ROOTS }));
    const changed = nextSignal();
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed.fire());
    await connectWithin(client, new StdioClientTransport({ command, args, stderr: "ignore" }));
    try {
      await assertSamplingAndRoots(client, prompts);

      await assertToolListChanges(client, changed);
    } finally {
      await within(client.close(), 20_000, "close");
    }
  });
});

describe("SDK v2 client over stdio, pinned to 2026-07-28: sampling, roots, list changes", () => {
  it("sampling and roots go through input_required rounds; the change arrives on subscriptions/listen", async () => {
    const { command, args } = runtimeCommand(EXAMPLE);
    const client = new ModernClient({ name: "stdio-v2", version: "1.0.0" }, {
      capabilities: { sampling: {}, roots: {} },
      versionNegotiation: { mode: { pin: "2026-07-28" } },
    });
    const prompts: string[] = [];
    client.setRequestHandler("sampling/createMessage", (request) => {
      const content = request.params.messages[0].content as { text?: string };
      prompts.push(content.text ?? "");
      return Promise.resolve(SAMPLED);
    });
    client.setRequestHandler("roots/list", () => Promise.resolve({ roots: ROOTS }));
    const changed = nextSignal();
    client.setNotificationHandler("notifications/tools/list_changed", () => changed.fire());
    client.onerror = () => {};
    await connectWithin(client, new ModernStdioTransport({ command, args, stderr: "ignore" }));
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
      await assertSamplingAndRoots(client, prompts);

      const subscription = await within(
        client.listen({ toolsListChanged: true }),
        20_000,
        "subscriptions/listen is acknowledged",
      );
      try {
        assert.equal(subscription.honoredFilter.toolsListChanged, true);
        await assertToolListChanges(client, changed);
      } finally {
        await within(subscription.close(), 20_000, "the subscription closes");
      }
    } finally {
      await within(client.close(), 20_000, "close");
    }
  });
});
