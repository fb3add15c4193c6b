/**
 * A public MCP server as an OAuth 2.1 protected resource: it trusts the JWT
 * access tokens of one hosted authorization server (Auth0, Okta, Entra ID,
 * Keycloak, WorkOS, Clerk, …) issued for this server, publishes the RFC 9728
 * metadata clients discover that server from, and asks for the scope
 * `mcp:admin` before `admin_report` runs. Runs on Deno, Bun and Node:
 *
 *   OAUTH_ISSUER=https://your-tenant.example-auth.com/ deno run -A examples/oauth/server.ts
 *   OAUTH_ISSUER=… bun examples/oauth/server.ts
 *   OAUTH_ISSUER=… node examples/oauth/server.ts      (Node 22.18 or later)
 *
 * Environment: OAUTH_ISSUER (required: the issuer URL exactly as its tokens'
 * `iss` says), OAUTH_RESOURCE (this server's public MCP URL, the audience its
 * tokens must name; default `http://127.0.0.1:$PORT/mcp`), PORT (default
 * 8787; 0 picks a free port). Behind a TLS proxy, set OAUTH_RESOURCE to the
 * public `https://…/mcp` URL: its host is then accepted in `Host`.
 * Listens on 127.0.0.1 and prints the MCP endpoint. Tested by
 * tests/e2e/oauth/example_test.ts against a real authorization server.
 * @module
 */

import { createMcpHandler, defineTool, type McpHandler } from "../../mod.ts";
import { jwtVerifier } from "../../src/oauth/mod.ts";
import { serveHandler } from "../serve.ts";

/** What the example needs to know: whose tokens to trust, and for which resource. */
interface OAuthExampleOptions {
  /** The authorization server's issuer URL. */
  issuer: string;
  /** This server's canonical MCP URL (RFC 8707 resource). */
  resource: string;
}

/** The example's handler: two tools, one of them needing the scope `mcp:admin`. */
function createOAuthExample({ issuer, resource }: OAuthExampleOptions): McpHandler {
  return createMcpHandler({
    name: "oauth-example",
    version: "1.0.0",
    security: {
      // The public host (behind a proxy) and the loopback one.
      allowedHosts: [new URL(resource).hostname, "127.0.0.1", "localhost"],
    },
    tools: [
      defineTool({
        name: "whoami",
        description: "Who the access token says you are",
        handler: (_input, ctx) => ctx.principal.id,
      }),
      defineTool({
        name: "admin_report",
        description: "A report for administrators",
        scopes: ["mcp:admin"],
        handler: (_input, ctx) => `Admin report for ${ctx.principal.id}`,
      }),
    ],
    auth: {
      oauth: {
        resource,
        authorizationServers: [issuer],
        scopesSupported: ["mcp:read", "mcp:admin"],
        resourceName: "tether OAuth example",
        verifyAccessToken: jwtVerifier({ issuer, audience: resource }),
      },
    },
  });
}

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process
  ?.env ?? {};
const issuer = env.OAUTH_ISSUER;
if (issuer === undefined || issuer === "") throw new Error("Set OAUTH_ISSUER to your issuer URL");
// The default resource names the port, known once listening (PORT=0): the handler is made then,
// before the listener's first callback can run.
const made: { handler?: McpHandler } = {};
const server = await serveHandler(
  Object.assign((request: Request) => made.handler!(request), {
    close: () => made.handler!.close(),
  }),
  env.PORT === undefined || env.PORT === "" ? 8787 : Number(env.PORT),
);
const resource = env.OAUTH_RESOURCE || `${server.url}/mcp`;
made.handler = createOAuthExample({ issuer, resource });
console.log(`OAuth example listening on ${server.url}/mcp (resource ${resource})`);
