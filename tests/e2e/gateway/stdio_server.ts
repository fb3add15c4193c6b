/**
 * A small MCP server over stdio for the gateway tests: the official SDK's
 * McpServer on its StdioServerTransport. `whoami` answers its process id,
 * `grandchild` starts a long `sleep` and answers its pid (ending the process
 * group must end it too), `die` exits mid-call. With STUBBORN=1 it ignores
 * stdin's end and SIGTERM.
 */

import { spawn } from "node:child_process";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.d.ts"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/stdio.d.ts"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

const server = new McpServer({ name: "stdio-upstream", version: "1.0.0" });
server.registerTool("whoami", { description: "This process's id" }, () => ({
  content: [{ type: "text", text: String(process.pid) }],
}));
server.registerTool("grandchild", { description: "Starts a sleep; answers its pid" }, () => {
  const child = spawn("sleep", ["300"], { stdio: "ignore" });
  return { content: [{ type: "text", text: String(child.pid) }] };
});
server.registerTool("die", { description: "Exits mid-call" }, () => {
  setTimeout(() => process.exit(3), 10);
  return new Promise(() => {});
});
server.registerTool("token", { description: "The UPSTREAM_TOKEN it was given" }, () => ({
  content: [{ type: "text", text: process.env.UPSTREAM_TOKEN ?? "" }],
}));
if (process.env.STUBBORN === "1") {
  // Ignores the polite close: stdin's end and SIGTERM; only SIGKILL ends it.
  process.on("SIGTERM", () => {});
  setInterval(() => {}, 60_000);
}
await server.connect(new StdioServerTransport());
