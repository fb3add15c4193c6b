/**
 * The gateway's `stdioUpstream` with examples/stdio.ts (served by
 * `@tether/mcp/stdio`) as its upstream, run on the test's runtime: the SDK
 * client calls an upstream tool through the gateway over HTTP, with its
 * progress, and the upstream process ends when the gateway closes.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMcpHandler } from "../../../mod.ts";
import { createGateway, stdioUpstream } from "../../../src/gateway/mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { connectClient, textOf } from "../interop/helpers.ts";
import { runtimeCommand } from "../gateway/runtime_command.ts";
import { EXAMPLE } from "./stdio_process.ts";

describe("a stdio server as a gateway upstream", () => {
  it("answers a call through the gateway", async () => {
    const { command, args } = runtimeCommand(EXAMPLE);
    const gateway = await createGateway({
      upstreams: [stdioUpstream({ name: "everything", command, args, stderr: "ignore" })],
      graceMs: 2_000,
    });
    const handler = createMcpHandler({
      name: "gateway",
      version: "1.0.0",
      ...gateway.definitions(),
    });
    const server = await serveHandler(handler, 0);
    const connection = await connectClient(`${server.url}/mcp`);
    try {
      const tools = await connection.client.listTools();
      assert.ok(tools.tools.some((tool) => tool.name === "everything_test_simple_text"));
      const result = await connection.client.callTool({
        name: "everything_test_simple_text",
        arguments: {},
      });
      assert.equal(textOf(result), "This is a simple text response for testing.");
      const progress: number[] = [];
      const stepped = await connection.client.callTool(
        { name: "everything_test_tool_with_progress", arguments: {} },
        undefined,
        { onprogress: (event) => void progress.push(event.progress) },
      );
      assert.equal(textOf(stepped), "Tool with progress executed successfully");
      assert.ok(progress.length > 0, "progress crosses the gateway");
    } finally {
      await connection.close();
      await server.close();
      await gateway.close({ graceMs: 2_000 });
    }
  });
});
