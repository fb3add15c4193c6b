/**
 * tmcp 1.20 (`tmcp` + `@tmcp/transport-http` 0.9 + `@tmcp/adapter-zod`
 * 0.1), wired as its READMEs show: one `McpServer` with the zod adapter, one
 * `HttpTransport` on `/mcp` with its default in-memory session managers
 * (sessionful for 2025 clients: initialize issues a session id), the echo
 * tool only. tmcp answers 2025 `tools/call` as SSE and serves the 2026-07-28
 * revision sessionlessly from the same endpoint, so the harness drives it
 * with both the steady (2025, sessions) and stateless (2026) workloads.
 */

import { ZodJsonSchemaAdapter } from "@tmcp/adapter-zod";
import { HttpTransport } from "@tmcp/transport-http";
import { McpServer } from "tmcp";
import * as z from "zod";
import { startBenchServer } from "./common.ts";

const server = new McpServer(
  { name: "bench-tmcp", version: "1.0.0", description: "tether bench peer" },
  { adapter: new ZodJsonSchemaAdapter(), capabilities: { tools: {} } },
);
server.tool(
  { name: "echo", description: "Echoes its input", schema: z.object({ text: z.string() }) },
  ({ text }) => ({ content: [{ type: "text", text }] }),
);

const transport = new HttpTransport(server, { path: "/mcp" });

await startBenchServer({
  fetch: async (request) =>
    (await transport.respond(request)) ?? new Response(null, { status: 404 }),
});
