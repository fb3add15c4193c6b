/**
 * The gateway tests' fixture: an SDK upstream (sdk_upstream.ts), a tether
 * gateway in front of it authenticating `Bearer down-<user>` tokens, served
 * on a free port, and official SDK clients connected to it. Credentials to
 * the upstream are `Bearer up-<user>` from the credentials hook.
 */

import { createMcpHandler, type McpHandler, type McpHandlerOptions } from "../../../mod.ts";
import {
  createGateway,
  type Gateway,
  GATEWAY_PRINCIPAL,
  type GatewayOptions,
  httpUpstream,
  type HttpUpstreamOptions,
} from "../../../src/gateway/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { connectClient, type ConnectOptions, type SdkConnection } from "../interop/helpers.ts";
import { type SdkUpstream, startSdkUpstream } from "./sdk_upstream.ts";

/** A gateway in front of an SDK upstream. */
export interface GatewayFixture {
  upstream: SdkUpstream;
  gateway: Gateway;
  handler: McpHandler;
  server: RunningServer;
  /** The gateway's MCP endpoint. */
  url: string;
  /** Connects an SDK client as `user` (token `down-<user>`). */
  connect(user: string, options?: ConnectOptions): Promise<SdkConnection>;
  close(): Promise<void>;
}

/** Starts the upstream, the gateway and its server. */
export async function startGateway(
  options: Partial<GatewayOptions> = {},
  handlerOptions: Partial<McpHandlerOptions> = {},
  upstreamOptions: Partial<HttpUpstreamOptions> = {},
): Promise<GatewayFixture> {
  const upstream = await startSdkUpstream();
  const connections: SdkConnection[] = [];
  let gateway: Gateway | undefined;
  let handler: McpHandler | undefined;
  let server: RunningServer | undefined;
  try {
    gateway = await createGateway({
      upstreams: [httpUpstream({
        name: "up",
        url: `${upstream.url}/mcp`,
        credentials: (principal) => ({
          authorization: principal === GATEWAY_PRINCIPAL
            ? "Bearer up-gateway"
            : `Bearer up-${principal.id}`,
        }),
        ...upstreamOptions,
      })],
      graceMs: 1_000,
      ...options,
    });
    handler = createMcpHandler({
      name: "gateway",
      version: "1.0.0",
      ...gateway.definitions(),
      ...handlerOptions,
      auth: {
        // The documented way: the gateway's caps answered at the door.
        authenticate: gateway.authenticate((request) => {
          const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
          return token?.startsWith("down-") ? { id: token.slice(5) } : undefined;
        }),
        ...handlerOptions?.auth,
      },
    });
    gateway.attach(handler);
    server = await serveHandler(handler, 0);
  } catch (error) {
    await gateway?.close({ graceMs: 0 });
    await upstream.close();
    throw error;
  }
  const url = `${server.url}/mcp`;
  return {
    upstream,
    gateway,
    handler,
    server,
    url,
    async connect(user, connectOptions = {}) {
      const connection = await connectClient(url, { token: `down-${user}`, ...connectOptions });
      connections.push(connection);
      return connection;
    },
    async close() {
      for (const connection of connections) await connection.close();
      await server.close();
      await gateway.close({ graceMs: 1_000 });
      await upstream.close();
    },
  };
}
