/**
 * A gateway (seed 004): a tether server whose tools forward to an upstream
 * MCP server through one upstream client per downstream session, kept with
 * `ctx.session.resource()`. Each downstream session has its own upstream
 * session, so upstream state follows the downstream client; when the
 * downstream session ends (DELETE, expiry, close), its upstream client ends
 * its upstream session too.
 *
 * Run (any runtime): it starts a small upstream (a tether server with a
 * session counter) on a free port unless UPSTREAM_URL names one.
 *   node_modules/.bin/deno run -A examples/gateway.ts
 *   node_modules/.bin/bun examples/gateway.ts
 *   node_modules/node24/bin/node examples/gateway.ts
 * Inspector: npx -y @modelcontextprotocol/inspector@2 --cli http://127.0.0.1:8787/mcp --method tools/call --tool-name increment
 * Environment: PORT (default 8787), UPSTREAM_URL.
 */

// @ts-types="../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.d.ts"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createMcpHandler, defineTool, type McpHandler } from "../mod.ts";
import type { CallToolResult } from "../src/types/mod.ts";
import { serveHandler } from "./serve.ts";

/** The upstream: a session counter, as in seed 004. */
export function createUpstreamHandler(): McpHandler {
  return createMcpHandler({
    name: "upstream",
    version: "1.0.0",
    tools: [defineTool({
      name: "increment",
      description: "Counts calls in this (upstream) session",
      handler: async (_input, ctx) =>
        String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1)),
    })],
  });
}

/** One upstream session, owned by one downstream session. */
interface Upstream {
  client: Client;
  transport: StreamableHTTPClientTransport;
  [Symbol.asyncDispose](): Promise<void>;
}

async function openUpstream(url: string): Promise<Upstream> {
  const client = new Client({ name: "tether-gateway", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return {
    client,
    transport,
    async [Symbol.asyncDispose]() {
      await transport.terminateSession().catch(() => {}); // DELETE upstream: its session ends with ours
      await client.close();
    },
  };
}

/** The gateway: `increment` forwards to the upstream session of the caller's session. */
export function createGatewayHandler(upstreamUrl: string): McpHandler {
  return createMcpHandler({
    name: "gateway",
    version: "1.0.0",
    tools: [defineTool({
      name: "increment",
      description: "Forwards to the upstream counter of this session",
      handler: async (_input, ctx) => {
        if (ctx.session === undefined) {
          throw new Error(
            "The gateway keeps one upstream session per session: connect with initialize",
          );
        }
        const upstream = await ctx.session.resource("upstream", () => openUpstream(upstreamUrl));
        return await upstream.client.callTool({
          name: "increment",
          arguments: {},
        }) as CallToolResult;
      },
    })],
  });
}

if (
  (import.meta as { main?: boolean }).main ||
  (globalThis as { process?: { argv: string[] } }).process?.argv?.[1]?.endsWith("gateway.ts")
) {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  let upstreamUrl = env.UPSTREAM_URL;
  if (upstreamUrl === undefined) {
    const upstream = await serveHandler(createUpstreamHandler(), 0);
    upstreamUrl = `${upstream.url}/mcp`;
    console.log(`upstream on ${upstreamUrl}`);
  }
  const gateway = await serveHandler(createGatewayHandler(upstreamUrl), Number(env.PORT ?? 8787));
  console.log(`gateway on ${gateway.url}/mcp`);
}
