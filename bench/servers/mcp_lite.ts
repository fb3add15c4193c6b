/**
 * mcp-lite 0.10 (`mcp-lite`), wired as its README's "single server"
 * deployment: `StreamableHttpTransport` with an `InMemorySessionAdapter`
 * (sessionful: initialize issues a session id, later requests must carry
 * it), zod input schema, the echo tool only. Its defaults otherwise (no Host
 * or Origin allow-list). mcp-lite answers a `tools/call` as SSE when the
 * client's Accept names `text/event-stream` (every spec-following client)
 * and as JSON when it names `application/json` only: the harness drives both
 * paths from the same server (`mcp-lite` and `mcp-lite-json`). It serves the
 * 2025 revisions only (no 2026-07-28).
 */

import { InMemorySessionAdapter, McpServer, StreamableHttpTransport } from "mcp-lite";
import * as z from "zod";
import { startBenchServer } from "./common.ts";

const server = new McpServer({
  name: "bench-mcp-lite",
  version: "1.0.0",
  schemaAdapter: (schema) => z.toJSONSchema(schema as z.ZodType),
});
server.tool("echo", {
  description: "Echoes its input",
  inputSchema: z.object({ text: z.string() }),
  handler: ({ text }) => ({ content: [{ type: "text", text }] }),
});

const sessions = new InMemorySessionAdapter({ maxEventBufferSize: 1024 });
const handle = new StreamableHttpTransport({ sessionAdapter: sessions }).bind(server);

await startBenchServer({ fetch: (request) => handle(request) });
