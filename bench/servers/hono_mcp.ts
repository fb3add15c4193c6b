/**
 * `@hono/mcp` 0.3 `StreamableHTTPTransport` (the official SDK v1 `McpServer`
 * behind Hono's transport), wired sessionful like bench/servers/sdk.ts and
 * the SDK's examples: a map from session id to transport; an `initialize`
 * without a session id creates one transport plus one `McpServer` and stores
 * the transport in `onsessioninitialized`; a known session id goes to its
 * transport; anything else gets 400/404. The transport's defaults otherwise
 * (SSE answers: its `enableJsonResponse` mode leaks per request, see
 * bench/notes/2026-11-27-servers-and-workloads.md), served through a Hono app's `fetch`. Echo tool only.
 */

// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.d.ts"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { StreamableHTTPTransport } from "@hono/mcp";
import { Hono } from "hono";
import * as z from "zod";
import { startBenchServer } from "./common.ts";

const transports = new Map<string, StreamableHTTPTransport>();

function getServer(): McpServer {
  const server = new McpServer({ name: "bench-hono-mcp", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes its input", inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  return server;
}

const jsonRpcError = (status: number, code: number, message: string) =>
  new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json" },
  });

const app = new Hono();
app.all("/mcp", async (c) => {
  const sessionId = c.req.header("mcp-session-id");
  if (sessionId !== undefined) {
    const transport = transports.get(sessionId);
    if (transport === undefined) return jsonRpcError(404, -32001, "Session not found");
    return (await transport.handleRequest(c)) ?? new Response(null, { status: 500 });
  }
  if (c.req.method === "POST") {
    const body = await c.req.json().catch(() => undefined);
    if (isInitializeRequest(body)) {
      const transport: StreamableHTTPTransport = new StreamableHTTPTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id: string) => {
          transports.set(id, transport);
        },
      });
      transport.onclose = () => {
        if (transport.sessionId !== undefined) transports.delete(transport.sessionId);
      };
      await getServer().connect(transport);
      return (await transport.handleRequest(c, body)) ?? new Response(null, { status: 500 });
    }
  }
  return jsonRpcError(400, -32000, "Bad Request: No valid session ID provided");
});

await startBenchServer({
  fetch: async (request) => await app.fetch(request),
  sessions: () => transports.size,
});
