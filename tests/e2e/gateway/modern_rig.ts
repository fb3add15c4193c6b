/**
 * A gateway in front of one 2026-07-28 upstream (named "up"), served on a
 * free loopback port, for the 2026-07-28 upstream tests: the credentials
 * hook gives `Bearer up-<principal>` (`Bearer up-gateway` for discovery),
 * downstream callers are `Bearer down-<user>` (down_tokens.ts). Not a test
 * file itself.
 */

import { createMcpHandler, type McpHandler } from "../../../mod.ts";
import {
  createGateway,
  type Gateway,
  GATEWAY_PRINCIPAL,
  type GatewayOptions,
  httpUpstream,
  type UpstreamProtocol,
} from "../../../src/gateway/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { downstreamUser } from "./down_tokens.ts";

/** A gateway in front of one upstream, served on a free port. */
export interface Rig {
  gateway: Gateway;
  handler: McpHandler;
  server: RunningServer;
  url: string;
  close(): Promise<void>;
}

/** A gateway in front of `upstreamUrl` (speaking `protocol` to it), served on a free port. */
export async function startRig(
  upstreamUrl: string,
  protocol?: UpstreamProtocol,
  options: Partial<GatewayOptions> = {},
  upstreamFetch?: typeof fetch,
): Promise<Rig> {
  const gateway = await createGateway({
    upstreams: [httpUpstream({
      name: "up",
      url: upstreamUrl,
      protocol,
      fetch: upstreamFetch,
      credentials: (principal) => ({
        authorization: principal === GATEWAY_PRINCIPAL
          ? "Bearer up-gateway"
          : `Bearer up-${principal.id}`,
      }),
    })],
    graceMs: 1_000,
    retryMs: 100,
    onError: () => {},
    ...options,
  });
  const handler = createMcpHandler({
    name: "gateway",
    version: "1.0.0",
    ...gateway.definitions(),
    auth: { authenticate: gateway.authenticate(downstreamUser) },
    observe: { onError: () => {} },
  });
  gateway.attach(handler);
  const server = await serveHandler(handler, 0);
  return {
    gateway,
    handler,
    server,
    url: `${server.url}/mcp`,
    async close() {
      await server.close();
      await gateway.close({ graceMs: 0 });
      await handler.close();
    },
  };
}
