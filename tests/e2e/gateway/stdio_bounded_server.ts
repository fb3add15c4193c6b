/**
 * A small MCP server over stdio for the gateway's bounded-stdio tests: the
 * official SDK's McpServer on its StdioServerTransport. `pid` answers its
 * process id; `sleep` answers it after `ms`; `progress` sends `steps`
 * progress notifications, then returns at once (its last notification and
 * its result leave back to back, so a reader often gets them in one chunk);
 * the resource `memo://pid` can be subscribed to.
 */

// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.d.ts"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/stdio.d.ts"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import {
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import * as z from "zod";

const server = new McpServer({ name: "stdio-bounded", version: "1.0.0" }, {
  capabilities: { resources: { subscribe: true } },
});
const pid = () => ({ content: [{ type: "text" as const, text: String(process.pid) }] });
server.registerTool("pid", { description: "This process's id" }, pid);
server.registerTool(
  "sleep",
  { description: "This process's id, after `ms`", inputSchema: { ms: z.number() } },
  async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return pid();
  },
);
server.registerTool(
  "progress",
  {
    description: "Sends `steps` progress notifications, then returns",
    inputSchema: { steps: z.number() },
  },
  async ({ steps }, extra) => {
    const progressToken = extra._meta?.progressToken;
    if (progressToken !== undefined) {
      for (let step = 1; step <= steps; step++) {
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken, progress: step, total: steps },
        });
      }
    }
    return { content: [{ type: "text", text: `sent ${steps}` }] };
  },
);
server.registerResource("pid", "memo://pid", { description: "This process's id" }, (uri) => ({
  contents: [{ uri: uri.href, text: String(process.pid) }],
}));
server.server.setRequestHandler(SubscribeRequestSchema, () => ({}));
server.server.setRequestHandler(UnsubscribeRequestSchema, () => ({}));
await server.connect(new StdioServerTransport());
