/**
 * A test-only Worker for the gateway's boundaries on workerd: one Durable
 * Object serves a tether gateway in front of one Streamable HTTP upstream,
 * `UPSTREAM_URL` (the test serves it on a loopback port; its fragment names
 * the upstream, e.g. `http://127.0.0.1:1234/mcp#evil`). Callers with
 * `Bearer down-<user>` are `<user>`, every other caller anonymous (as
 * tests/e2e/gateway/relay_upstream.ts's rig); `/__stats` answers the
 * gateway's stats as JSON. scripts/workerd_fixture.sh serves it
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
import { createGateway, type Gateway, httpUpstream } from "../../../src/gateway/mod.ts";
import { downstreamUser } from "../gateway/down_tokens.ts";

/** The Worker's bindings. */
interface Env {
  MCP_OBJECT: DurableObjectNamespaceLike;
  UPSTREAM_URL: string;
}

/** An hour: no idle probe, no call timeout within a test. */
const HOUR = 3_600_000;

/** The gateway and its handler, once discovery has read the upstream's lists. */
async function createServer(env: Env): Promise<{ gateway: Gateway; handler: ObjectHandler }> {
  const url = new URL(env.UPSTREAM_URL);
  const name = url.hash.slice(1) || "up";
  url.hash = "";
  const gateway = await createGateway({
    upstreams: [httpUpstream({ name, url: url.href })],
    callTimeoutMs: HOUR,
    idleProbeMs: HOUR,
    graceMs: 1_000,
    onError: () => {},
  });
  const handler = createMcpHandler({
    name: "gateway-boundaries-worker",
    version: "1.0.0",
    ...gateway.definitions(),
    auth: {
      authenticate: gateway.authenticate(downstreamUser),
    },
  });
  gateway.attach(handler);
  return { gateway, handler };
}

/** The Durable Object: the gateway (built on its first request), and `/__stats`. */
export const McpObject = mcpDurableObject((env: Env) => {
  let server: Promise<{ gateway: Gateway; handler: ObjectHandler }> | undefined;
  return async (request: Request) => {
    server ??= createServer(env).catch((error) => {
      server = undefined; // the next request tries again
      throw error;
    });
    const { gateway, handler } = await server;
    if (new URL(request.url).pathname === "/__stats") return Response.json(gateway.stats());
    return await handler(request);
  };
});

/** The Worker: everything to the one object. */
export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return routeToDurableObject(env.MCP_OBJECT)(request);
  },
};
