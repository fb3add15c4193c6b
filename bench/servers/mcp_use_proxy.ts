/**
 * mcp-use's `server.proxy()` in front of one HTTP MCP upstream (`--upstream
 * URL`): an `MCPServer` (mcp-use 2.5.2, stateless: a fresh SDK server per
 * request) mounting the upstream's tools as `up_<name>` through one
 * connection of the official v2 client, passed to `proxy(connection)`.
 * mcp-use's name-keyed overload needs `@mcp-use/client`, which is not on the
 * npm registry; its connection overload takes any ready connection, and this
 * one is the SDK client mcp-use itself depends on. Node only. mcp-use comes
 * from this repository's node_modules or, with `MCP_USE_DIR`, from that
 * directory's (`npm install --prefix DIR mcp-use@2.5.2`); without it this
 * server prints why on stderr and exits 3, and bench/gateway_cost.ts skips
 * the peer row with that line. Its telemetry is turned off.
 */

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { serverArgs, startBenchServer } from "./common.ts";

const args = serverArgs();
/** mcp-use's entry and the SDK client's it resolves (its own 2.0.0); undefined when absent. */
function locate(): { entry: string; clientEntry: string } | undefined {
  const from = createRequire(
    join(process.env.MCP_USE_DIR ?? join(import.meta.dirname!, "../.."), "_"),
  );
  try {
    // Entry points (neither package exports its package.json): dist/index-node.js, dist/index.cjs.
    const entry = from.resolve("mcp-use");
    const client = createRequire(entry).resolve("@modelcontextprotocol/client");
    return { entry, clientEntry: join(dirname(client), "index.mjs") };
  } catch {
    return undefined;
  }
}
const found = locate();
if (found === undefined) {
  console.error(
    "mcp-use is not installed: npm install --prefix DIR mcp-use@2.5.2, then MCP_USE_DIR=DIR",
  );
  process.exit(3);
}
const { entry, clientEntry } = found;
// mcp-use reports anonymized usage over the network and keeps an id in .mcp-use/ by default.
process.env.MCP_USE_ANONYMIZED_TELEMETRY = "false";
if (args.upstream === undefined) throw new Error("--upstream URL is required");

interface SdkClient {
  connect(transport: unknown): Promise<void>;
  getServerCapabilities(): Record<string, unknown> | undefined;
  listTools(): Promise<{ tools: unknown[] }>;
  callTool(params: unknown, options?: unknown): Promise<unknown>;
  readResource(params: unknown, options?: unknown): Promise<unknown>;
  listPrompts(): Promise<{ prompts: unknown[] }>;
  getPrompt(params: unknown): Promise<unknown>;
}
interface ProxyHost {
  proxy(connection: unknown): Promise<void>;
  fetch(request: Request): Promise<Response>;
}
const { MCPServer } = await import(pathToFileURL(entry).href) as {
  MCPServer: new (config: { name: string; version: string }) => ProxyHost;
};
const { Client, StreamableHTTPClientTransport } = await import(pathToFileURL(clientEntry).href) as {
  Client: new (info: { name: string; version: string }) => SdkClient;
  StreamableHTTPClientTransport: new (url: URL) => unknown;
};

const client = new Client({ name: "bench-mcp-use-proxy", version: "1.0.0" });
await client.connect(new StreamableHTTPClientTransport(new URL(args.upstream)));
type Options = { signal?: AbortSignal; onprogress?: (progress: unknown) => void };
const server = new MCPServer({ name: "bench-mcp-use-proxy", version: "1.0.0" });
await server.proxy({
  info: { server: { name: "up" } },
  supports: (capability: string) => client.getServerCapabilities()?.[capability] !== undefined,
  listTools: async () => (await client.listTools()).tools,
  callTool: (name: string, input: Record<string, unknown> | undefined, options?: Options) =>
    client.callTool({ name, arguments: input }, options),
  readResource: (uri: string, options?: Options) => client.readResource({ uri }, options),
  listPrompts: () => client.listPrompts(),
  getPrompt: (name: string, input: Record<string, unknown>) =>
    client.getPrompt({ name, arguments: input }),
});

await startBenchServer({ fetch: (request) => server.fetch(request) });
