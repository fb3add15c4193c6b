/**
 * The views tests' fixture: an SDK upstream (`up`, sdk_upstream.ts) and a
 * tether upstream (`tt`) behind one gateway, served by two endpoints (two
 * handlers built from that gateway with different views) on free ports;
 * `Bearer down-<user>` is `<user>` (down_tokens.ts). Not a test file itself.
 */

import {
  createMcpHandler,
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
  type McpHandler,
} from "../../../mod.ts";
import {
  createGateway,
  type Gateway,
  type GatewayOptions,
  type GatewayView,
  httpUpstream,
} from "../../../src/gateway/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { connectClient, type SdkConnection } from "../interop/helpers.ts";
import { downstreamUser } from "./down_tokens.ts";
import { type SdkUpstream, startSdkUpstream } from "./sdk_upstream.ts";

/** One endpoint: a handler with its view, served. */
export interface ViewEndpoint {
  handler: McpHandler;
  server: RunningServer;
  url: string;
  /** Connects an SDK client as `user` (token `down-<user>`). */
  connect(user: string): Promise<SdkConnection>;
}

/** Two endpoints of one gateway in front of an SDK and a tether upstream. */
export interface ViewsFixture {
  upstream: SdkUpstream;
  gateway: Gateway;
  first: ViewEndpoint;
  second: ViewEndpoint;
  close(): Promise<void>;
}

/** A tether server as an upstream: tools, a prompt, a resource and a template. */
function tetherUpstream(): McpHandler {
  return createMcpHandler({
    name: "tether-upstream",
    version: "1.0.0",
    tools: [
      defineTool({ name: "add", description: "Adds", handler: () => "sum" }),
      defineTool({ name: "secret", description: "Tells a secret", handler: () => "hush" }),
    ],
    prompts: [definePrompt({ name: "plan", description: "Plans", handler: () => "Plan it." })],
    resources: [defineResource({ uri: "notes://readme", name: "readme", read: () => "read me" })],
    resourceTemplates: [
      defineResourceTemplate({
        uriTemplate: "notes://{id}",
        name: "note",
        read: (uri) => `note ${uri}`,
        complete: { id: (value) => ["1", "12", "2"].filter((id) => id.startsWith(value)) },
      }),
    ],
  });
}

/** Starts the upstreams, the gateway and its two endpoints (views `first` and `second`). */
export async function startViews(
  first: GatewayView,
  second: GatewayView,
  options: Partial<GatewayOptions> = {},
): Promise<ViewsFixture> {
  const upstream = await startSdkUpstream();
  const tether = tetherUpstream();
  const tetherServer = await serveHandler(tether, 0);
  const connections: SdkConnection[] = [];
  const servers: RunningServer[] = [];
  let gateway: Gateway | undefined;
  try {
    gateway = await createGateway({
      upstreams: [
        httpUpstream({ name: "up", url: `${upstream.url}/mcp` }),
        httpUpstream({ name: "tt", url: `${tetherServer.url}/mcp` }),
      ],
      graceMs: 1_000,
      ...options,
    });
    const endpoint = async (view: GatewayView): Promise<ViewEndpoint> => {
      const handler = createMcpHandler({
        name: "gateway",
        version: "1.0.0",
        ...gateway!.definitions({ view }),
        auth: { authenticate: gateway!.authenticate(downstreamUser) },
      });
      gateway!.attach(handler);
      const server = await serveHandler(handler, 0);
      servers.push(server);
      const url = `${server.url}/mcp`;
      return {
        handler,
        server,
        url,
        async connect(user) {
          const connection = await connectClient(url, { token: `down-${user}` });
          connections.push(connection);
          return connection;
        },
      };
    };
    const endpoints = [await endpoint(first), await endpoint(second)];
    return {
      upstream,
      gateway,
      first: endpoints[0],
      second: endpoints[1],
      async close() {
        for (const connection of connections) await connection.close().catch(() => {});
        for (const server of servers) await server.close();
        await gateway!.close({ graceMs: 1_000 });
        await tetherServer.close();
        await tether.close();
        await upstream.close();
      },
    };
  } catch (error) {
    for (const server of servers) await server.close();
    await gateway?.close({ graceMs: 0 });
    await tetherServer.close();
    await tether.close();
    await upstream.close();
    throw error;
  }
}
