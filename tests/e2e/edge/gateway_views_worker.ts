/**
 * A test-only Worker for gateway views on workerd: one Durable Object
 * serves a tether gateway in front of one Streamable HTTP upstream,
 * `UPSTREAM_URL` (the test serves it on a loopback port), through two
 * endpoints with different views: `/mcp` (alice sees `echo` as `say` and
 * nothing else but `whoami`; bob does not see `echo`) and `/second/mcp`
 * (every entry), sharing the gateway's caps. Callers with
 * `Bearer down-<user>` are `<user>`. scripts/workerd_fixture.sh serves it
 * (WORKERD_MODE=durable-object, ALLOW_LOOPBACK=1,
 * WORKER_CONDITIONS=workerd,worker,browser). Not a test file itself.
 * @module
 */

import { createMcpHandler } from "../../../mod.ts";
import {
  type DurableObjectNamespaceLike,
  mcpDurableObject,
  type ObjectHandler,
  routeToDurableObject,
} from "../../../src/adapters/cloudflare.ts";
import {
  createGateway,
  type Gateway,
  type GatewayView,
  httpUpstream,
} from "../../../src/gateway/mod.ts";
import { downstreamUser } from "../gateway/down_tokens.ts";

/** The Worker's bindings. */
interface Env {
  MCP_OBJECT: DurableObjectNamespaceLike;
  UPSTREAM_URL: string;
}

/** An hour: no idle probe, no call timeout within a test. */
const HOUR = 3_600_000;

/** The first endpoint's view. */
const FIRST: GatewayView = {
  principals: {
    alice: {
      upstreams: { up: { include: ["echo", "whoami"] } },
      tools: { up_echo: { name: "say", description: "Says it back" } },
    },
    bob: { upstreams: { up: { exclude: ["echo"] } } },
  },
};

interface Server {
  gateway: Gateway;
  first: ObjectHandler;
  second: ObjectHandler;
}

/** The gateway and its two endpoints, once discovery has read the upstream's lists. */
async function createServer(env: Env): Promise<Server> {
  const gateway = await createGateway({
    upstreams: [httpUpstream({ name: "up", url: env.UPSTREAM_URL })],
    callTimeoutMs: HOUR,
    idleProbeMs: HOUR,
    graceMs: 1_000,
    maxSessionsPerPrincipal: 1,
    onError: () => {},
  });
  const endpoint = (view: GatewayView) => {
    const handler = createMcpHandler({
      name: "gateway-views-worker",
      version: "1.0.0",
      ...gateway.definitions({ view }),
      auth: { authenticate: gateway.authenticate(downstreamUser) },
    });
    gateway.attach(handler);
    return handler;
  };
  return { gateway, first: endpoint(FIRST), second: endpoint({}) };
}

/** The Durable Object: the gateway (built on its first request), its endpoints and `/__stats`. */
export const McpObject = mcpDurableObject((env: Env) => {
  let server: Promise<Server> | undefined;
  return async (request: Request) => {
    server ??= createServer(env).catch((error) => {
      server = undefined; // the next request tries again
      throw error;
    });
    const { gateway, first, second } = await server;
    const url = new URL(request.url);
    if (url.pathname === "/__stats") return Response.json(gateway.stats());
    if (!url.pathname.startsWith("/second/")) return await first(request);
    url.pathname = url.pathname.slice("/second".length);
    return await second(new Request(url, request));
  };
});

/** The Worker: everything to the one object. */
export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return routeToDurableObject(env.MCP_OBJECT)(request);
  },
};
