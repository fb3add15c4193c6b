/**
 * The smallest MCP server over stdio, for the gateway's churn test, which
 * starts 22 of them: newline-delimited JSON-RPC answered by hand, no SDK
 * to load (started to its first answer, stdio_server.ts took 0.8 s of CPU
 * on Node and 0.4 s on Bun, this one 0.35 s and 0.08 s). It answers
 * `initialize`, `ping`, `tools/list` (one tool, `whoami`: this process's
 * id) and `tools/call`; any other request gets -32601 (`server/discover`
 * among them: the gateway falls back to 2025 sessions, a process each).
 * Notifications are ignored. It ends when its stdin ends, or on SIGTERM.
 */

import process from "node:process";
import { createInterface } from "node:readline";

const WHOAMI = {
  name: "whoami",
  description: "This process's id",
  inputSchema: { type: "object" },
};

/** The answer to request `message`. */
function answer(message: { id: unknown; method: string; params?: Record<string, unknown> }) {
  const { id, method, params } = message;
  switch (method) {
    case "initialize":
      return {
        jsonrpc: "2.0",
        id,
        result: {
          protocolVersion: params?.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "stdio-whoami", version: "1.0.0" },
        },
      };
    case "ping":
      return { jsonrpc: "2.0", id, result: {} };
    case "tools/list":
      return { jsonrpc: "2.0", id, result: { tools: [WHOAMI] } };
    case "tools/call":
      return params?.name === WHOAMI.name
        ? { jsonrpc: "2.0", id, result: { content: [{ type: "text", text: String(process.pid) }] } }
        : { jsonrpc: "2.0", id, error: { code: -32602, message: `Unknown tool ${params?.name}` } };
    default:
      return { jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } };
  }
}

createInterface({ input: process.stdin }).on("line", (line) => {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  if (message?.id === undefined || typeof message.method !== "string") return;
  process.stdout.write(JSON.stringify(answer(message)) + "\n");
});
