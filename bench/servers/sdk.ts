/**
 * The official SDK v1 (`@modelcontextprotocol/sdk` 1.32.x), wired the way its
 * examples show for a sessionful server (examples/server/simpleStreamableHttp
 * and jsonResponseStreamableHttp, on the web-standard transport): a map from
 * session id to transport; an `initialize` without a session id creates one
 * `WebStandardStreamableHTTPServerTransport` plus one `McpServer` and stores
 * the transport in `onsessioninitialized`; `onclose` removes it; a known
 * session id goes straight to its transport; an unknown one gets 404.
 * SDK defaults otherwise (SSE responses, no DNS-rebinding checks, no event store).
 *   --mode json   enableJsonResponse: true
 */

// The @ts-types hints only help `deno check`, which does not read the SDK's typesVersions.
// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.d.ts"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/webStandardStreamableHttp.d.ts"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import * as z from "zod";
import { LARGE_1M_TEXT, LARGE_TEXT, PROGRESS_COUNT } from "../lib/protocol.ts";
import { serverArgs, startBenchServer } from "./common.ts";

const enableJsonResponse = serverArgs().mode === "json";
const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();

function getServer(): McpServer {
  const server = new McpServer({ name: "bench-sdk", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes its input", inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  server.registerTool(
    "progress",
    {
      description: `Emits ${PROGRESS_COUNT} progress notifications, then answers`,
      inputSchema: {},
    },
    async (_args, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let i = 1; i <= PROGRESS_COUNT; i++) {
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: i, total: PROGRESS_COUNT },
          });
        }
      }
      return { content: [{ type: "text", text: "done" }] };
    },
  );
  server.registerTool(
    "ticker",
    {
      description: "One progress notification a second for `seconds` seconds, then answers",
      inputSchema: { seconds: z.number().int().positive() },
    },
    async ({ seconds }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let i = 1; i <= seconds; i++) {
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: i, total: seconds },
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      return { content: [{ type: "text", text: "ticked" }] };
    },
  );
  server.registerTool(
    "large",
    { description: "Answers with a 256 KiB text", inputSchema: {} },
    () => ({ content: [{ type: "text", text: LARGE_TEXT }] }),
  );
  server.registerTool(
    "large-1m",
    { description: "Answers with a 1 MiB text", inputSchema: {} },
    () => ({ content: [{ type: "text", text: LARGE_1M_TEXT }] }),
  );
  return server;
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

async function fetch(request: Request): Promise<Response> {
  const sessionId = request.headers.get("mcp-session-id");
  if (sessionId !== null) {
    const transport = transports.get(sessionId);
    if (transport === undefined) return jsonRpcError(404, -32001, "Session not found");
    return await transport.handleRequest(request);
  }
  if (request.method === "POST") {
    const body = await request.json().catch(() => undefined);
    if (isInitializeRequest(body)) {
      const transport: WebStandardStreamableHTTPServerTransport =
        new WebStandardStreamableHTTPServerTransport({
          sessionIdGenerator: () => crypto.randomUUID(),
          enableJsonResponse,
          onsessioninitialized: (id) => {
            transports.set(id, transport);
          },
        });
      transport.onclose = () => {
        if (transport.sessionId !== undefined) transports.delete(transport.sessionId);
      };
      await getServer().connect(transport);
      return await transport.handleRequest(request, { parsedBody: body });
    }
  }
  return jsonRpcError(400, -32000, "Bad Request: No valid session ID provided");
}

await startBenchServer({ fetch, sessions: () => transports.size });
