/**
 * A test-only Worker for the gateway's lists and relay bounds on workerd:
 * one Durable Object serves a tether gateway in front of one Streamable
 * HTTP upstream, `UPSTREAM_URL` (its fragment names the upstream, e.g.
 * `http://127.0.0.1:1234/mcp#evil`), beside a local tool `evil_secret` and
 * a local resource `local://secret` (the names a hostile upstream `evil`
 * would take), with the relay bounds of tests/e2e/gateway/relay_bounds_test.ts
 * (50 progress, 50 logs, 4 requests a call). Callers with `Bearer down-<user>`
 * are `<user>`, every other caller anonymous; `/__stats` answers the
 * gateway's stats as JSON and `/__errors` what its `onError` was told.
 * scripts/workerd_fixture.sh serves it (WORKERD_MODE=durable-object,
 * ALLOW_LOOPBACK=1, WORKER_CONDITIONS=workerd,worker,browser). Not a test
 * file itself.
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
import { localResource, localSecret } from "../gateway/lists_locals.ts";

/** The Worker's bindings. */
interface Env {
  MCP_OBJECT: DurableObjectNamespaceLike;
  UPSTREAM_URL: string;
}

/** An hour: no idle probe, no call timeout within a test. */
const HOUR = 3_600_000;

/** The gateway, its handler, and what its `onError` was told. */
interface Server {
  gateway: Gateway;
  handler: ObjectHandler;
  errors: string[];
}

/** The gateway and its handler, once discovery has read the upstream's lists. */
async function createServer(env: Env): Promise<Server> {
  const url = new URL(env.UPSTREAM_URL);
  const name = url.hash.slice(1) || "up";
  url.hash = "";
  const errors: string[] = [];
  const gateway = await createGateway({
    upstreams: [httpUpstream({ name, url: url.href })],
    callTimeoutMs: HOUR,
    idleProbeMs: HOUR,
    graceMs: 1_000,
    maxRelayedProgress: 50,
    maxRelayedLogs: 50,
    maxRelayedRequests: 4,
    onError: (error) => void errors.push(error instanceof Error ? error.message : String(error)),
  });
  const definitions = gateway.definitions();
  const handler = createMcpHandler({
    name: "gateway-lists-worker",
    version: "1.0.0",
    limits: { pageSize: 1_000 },
    ...definitions,
    tools: [...definitions.tools, localSecret],
    resources: [...definitions.resources, localResource],
    auth: {
      authenticate: gateway.authenticate(downstreamUser),
    },
  });
  gateway.attach(handler);
  return { gateway, handler, errors };
}

/** The Durable Object: the gateway (built on its first request), `/__stats` and `/__errors`. */
export const McpObject = mcpDurableObject((env: Env) => {
  let server: Promise<Server> | undefined;
  return async (request: Request) => {
    server ??= createServer(env).catch((error) => {
      server = undefined; // the next request tries again
      throw error;
    });
    const { gateway, handler, errors } = await server;
    const path = new URL(request.url).pathname;
    if (path === "/__stats") return Response.json(gateway.stats());
    if (path === "/__errors") return Response.json(errors);
    return await handler(request);
  };
});

/** The Worker: everything to the one object. */
export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return routeToDurableObject(env.MCP_OBJECT)(request);
  },
};
