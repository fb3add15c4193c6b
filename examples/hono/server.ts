/**
 * tether inside a Hono app: the app's own middleware authenticates a Bearer
 * token for everything under /api, and tether, mounted at /api/mcp, takes the
 * caller from it (`mcpRoute` + `authenticate: attachedPrincipal`). Sessions
 * then belong to that user: another token presenting the session id gets 403.
 * One tool, `whoami`, answers with the caller's id and name.
 *
 * Start it (from the repository root; Node 22.18 or later, or Bun):
 *   npm run example:hono                 (= node_modules/node24/bin/node examples/hono/server.ts)
 *   node_modules/.bin/bun examples/hono/server.ts
 * Connect the MCP Inspector (Node >= 22.19 on PATH), in another terminal:
 *   npx -y @modelcontextprotocol/inspector@2 --cli http://127.0.0.1:8787/api/mcp --method tools/call --tool-name whoami --header "Authorization: Bearer alice-token"
 * Without a known token, everything under /api answers 401.
 *
 * Environment: PORT (default 8787; 0 picks a free port). Listens on 127.0.0.1
 * and prints the MCP endpoint's URL. In your own project, import from
 * "@tether/mcp", "@tether/mcp/hono" and "@tether/mcp/node" instead of the
 * relative paths.
 */

import process from "node:process";
import { type Context, Hono } from "hono";
import { attachedPrincipal, createMcpHandler, defineTool } from "../../mod.ts";
import { mcpRoute } from "../../src/adapters/hono.ts";
import { serve } from "../../src/adapters/node.ts";

interface User {
  id: string;
  name: string;
}

/** What the auth middleware leaves on the Hono context. */
type Env = { Variables: { user: User } };

// DEMO ONLY: a fixed token table. Verify real tokens (a JWT, an introspection call) here instead.
const USERS_BY_TOKEN = new Map<string, User>([
  ["alice-token", { id: "alice", name: "Alice" }],
  ["bob-token", { id: "bob", name: "Bob" }],
]);

const mcp = createMcpHandler({
  name: "hono-example",
  version: "1.0.0",
  http: {
    // Hono routes; tether serves whatever path it is mounted at.
    path: null,
  },
  auth: {
    // The principal comes from the middleware below, through mcpRoute.
    authenticate: attachedPrincipal,
  },
  tools: [
    defineTool({
      name: "whoami",
      description: "Tells who the server thinks you are",
      handler: (_input, ctx) => `You are ${ctx.principal.name} (${ctx.principal.id}).`,
    }),
  ],
});

const app = new Hono<Env>();
app.get("/", (c) => c.text("A Hono app; MCP is at /api/mcp (Bearer token required).\n"));
app.use("/api/*", async (c, next) => {
  const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  const user = token === undefined ? undefined : USERS_BY_TOKEN.get(token);
  if (user === undefined) {
    return c.json({ error: "unauthorized" }, 401, { "WWW-Authenticate": 'Bearer realm="api"' });
  }
  c.set("user", user);
  await next();
});
app.all("/api/mcp", mcpRoute(mcp, { principal: (c: Context<Env>) => ({ ...c.get("user") }) }));

// Through @hono/node-server (on Node, or Bun's node:http). Deno and Bun can serve the app natively:
// `Deno.serve(app.fetch)`, `Bun.serve({ fetch: app.fetch, idleTimeout: 0 })`.
const server = serve(app.fetch, { hostname: "127.0.0.1", port: Number(process.env.PORT ?? 8787) });
console.log(`tether in Hono: ${await server.url}/api/mcp`);
process.once(
  "SIGINT",
  () => void mcp.close().then(() => server.close()).then(() => process.exit(0)),
);
