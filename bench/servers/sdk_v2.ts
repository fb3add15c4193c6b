/**
 * The official SDK v2 (`@modelcontextprotocol/server` 2.x) `createMcpHandler`
 * with its defaults: 2025-era (legacy) traffic is served statelessly, one
 * fresh `McpServer` + transport per request, so `initialize` issues no
 * session id and GET/DELETE answer 405. For reference only: it does not keep
 * sessions, so the session workloads do not apply to it.
 */

import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import * as z from "zod";
import { PROGRESS_COUNT } from "../lib/protocol.ts";
import { startBenchServer } from "./common.ts";

const handler = createMcpHandler(() => {
  const server = new McpServer({ name: "bench-sdk-v2", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes its input", inputSchema: z.object({ text: z.string() }) },
    ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  server.registerTool(
    "progress",
    {
      description: `Emits ${PROGRESS_COUNT} progress notifications, then answers`,
      inputSchema: z.object({}),
    },
    async (_args, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      for (let i = 1; i <= PROGRESS_COUNT; i++) {
        if (progressToken !== undefined) {
          await ctx.mcpReq.notify({
            method: "notifications/progress",
            params: { progressToken, progress: i, total: PROGRESS_COUNT },
          });
        }
      }
      return { content: [{ type: "text", text: "done" }] };
    },
  );
  return server;
});

await startBenchServer({ fetch: (request) => handler.fetch(request) });
