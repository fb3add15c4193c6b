/**
 * A test-only Worker: one Durable Object serves a tether gateway in front of
 * the Streamable HTTP upstream at the `UPSTREAM_URL` binding (the test serves
 * it on a loopback port), authenticating `Bearer down-<user>` and sending
 * `Bearer up-<user>` upstream, as tests/e2e/gateway/fixture.ts does. At
 * `/__stdio` it answers what defining a stdio upstream throws here.
 * scripts/workerd_fixture.sh serves it (WORKERD_MODE=durable-object,
 * ALLOW_LOOPBACK=1, WORKER_CONDITIONS=workerd,worker,browser). Not a test file itself.
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
  GATEWAY_PRINCIPAL,
  httpUpstream,
  stdioUpstream,
} from "../../../src/gateway/mod.ts";

/** The Worker's bindings. */
interface Env {
  MCP_OBJECT: DurableObjectNamespaceLike;
  UPSTREAM_URL: string;
}

/** The gateway's handler, once discovery has read the upstream's lists. */
async function createServer(env: Env): Promise<ObjectHandler> {
  const gateway = await createGateway({
    upstreams: [httpUpstream({
      name: "up",
      url: env.UPSTREAM_URL,
      credentials: (principal) => ({
        authorization: principal === GATEWAY_PRINCIPAL
          ? "Bearer up-gateway"
          : `Bearer up-${principal.id}`,
      }),
    })],
    graceMs: 1_000,
  });
  const handler = createMcpHandler({
    name: "gateway-worker",
    version: "1.0.0",
    ...gateway.definitions(),
    auth: {
      authenticate: gateway.authenticate((request) => {
        const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
        return token?.startsWith("down-") ? { id: token.slice(5) } : undefined;
      }),
    },
  });
  gateway.attach(handler);
  return handler;
}

/** What defining a stdio upstream does on this runtime, as JSON. */
function defineStdio(): Response {
  try {
    stdioUpstream({ name: "local", command: "node", args: ["server.js"] });
    return Response.json({ threw: false });
  } catch (error) {
    return Response.json({ threw: true, name: (error as Error).name, message: String(error) });
  }
}

/** The Durable Object: the gateway (built on its first request), and `/__stdio`. */
export const McpObject = mcpDurableObject((env: Env) => {
  let server: Promise<ObjectHandler> | undefined;
  return async (request: Request) => {
    if (new URL(request.url).pathname === "/__stdio") return defineStdio();
    server ??= createServer(env).catch((error) => {
      server = undefined; // the next request tries again
      throw error;
    });
    return await (await server)(request);
  };
});

/** The Worker: everything to the one object. */
export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return routeToDurableObject(env.MCP_OBJECT)(request);
  },
};
