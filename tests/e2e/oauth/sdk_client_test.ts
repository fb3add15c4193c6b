/**
 * The official SDK v1 client's own OAuth flow, end to end, against tether
 * (over real HTTP on this runtime) and a real authorization server
 * (oidc-provider in a Node 24 child): its first request gets the 401, it
 * reads `resource_metadata` from it, discovers the authorization server
 * from the RFC 9728 document, registers itself (dynamic client
 * registration), and sends the user to authorize with PKCE and the
 * resource indicator; the test plays the user agent (following redirects
 * with a cookie jar; the server's interactions log `alice` in and consent
 * at once), hands the code back (`finishAuth`), and the client exchanges it
 * and connects. tether only verifies the JWT it then sends.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/auth.d.ts"
import {
  type OAuthClientProvider,
  UnauthorizedError,
} from "@modelcontextprotocol/sdk/client/auth.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/shared/auth.d.ts"
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import { jwtVerifier } from "../../../src/oauth/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { Client, StreamableHTTPClientTransport } from "../interop/helpers.ts";
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
  UnauthorizedError as ModernUnauthorizedError,
} from "@modelcontextprotocol/client";
import { within } from "../../helpers.ts";
import {
  type AuthorizationServer,
  startAuthorizationServer,
} from "./authorization_server_process.ts";

const REDIRECT_URL = "http://127.0.0.1:1/callback";

/** An OAuth client's storage, in memory, as a desktop host would keep it. */
class MemoryClientProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;

  get redirectUrl(): string {
    return REDIRECT_URL;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "tether oauth test",
      redirect_uris: [REDIRECT_URL],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(client: OAuthClientInformationMixed) {
    this.client = client;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  discovery: DiscoveryState | undefined;
  saveDiscoveryState(state: DiscoveryState) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
}

/** What the client keeps of its discovery between the redirect and the callback. */
type DiscoveryState = Parameters<NonNullable<OAuthClientProvider["saveDiscoveryState"]>>[0];

/**
 * The user agent: follows the authorization server's redirects from `url`
 * (keeping its cookies) until one goes to the client's redirect URL, and
 * returns that URL's parameters (the code, and the issuer: RFC 9207).
 */
async function userAgent(url: URL): Promise<URLSearchParams> {
  const cookies = new Map<string, string>();
  let next = url.href;
  for (let hop = 0; hop < 12; hop++) {
    if (next.startsWith(REDIRECT_URL)) {
      const parameters = new URL(next).searchParams;
      if (!parameters.has("code")) throw new Error(`redirected without a code: ${next}`);
      return parameters;
    }
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(next, { redirect: "manual", headers: { cookie } });
    for (const set of response.headers.getSetCookie()) {
      const pair = set.split(";")[0];
      const equals = pair.indexOf("=");
      const [name, value] = [pair.slice(0, equals).trim(), pair.slice(equals + 1)];
      if (value === "") cookies.delete(name);
      else cookies.set(name, value);
    }
    const location = response.headers.get("location");
    const text = await response.text();
    if (location === null) throw new Error(`authorization stopped: ${response.status} ${text}`);
    next = new URL(location, next).href;
  }
  throw new Error("too many redirects");
}

let as: AuthorizationServer;
let running: RunningServer;
let handler: McpHandler;
let url: string;
/** The era of each request that reached a pipeline, as onEvent reports it. */
const eras: string[] = [];
before(async () => {
  as = await startAuthorizationServer();
  // The resource URI names the port, known once the server listens: the handler is made then.
  const made: { inner?: McpHandler } = {};
  running = await serveHandler((request: Request) => made.inner!(request), 0);
  url = `${running.url}/mcp`;
  made.inner = handler = createMcpHandler({
    name: "oauth-e2e",
    version: "1.0.0",
    observe: {
      onError: () => {},
      onEvent: (event) => {
        if (event.type === "request" && event.era !== undefined) eras.push(event.era);
      },
    },
    tools: [
      defineTool({ name: "whoami", handler: (_input, ctx) => ctx.principal.id }),
      defineTool({ name: "admin_report", scopes: ["mcp:admin"], handler: () => "the report" }),
    ],
    auth: {
      oauth: {
        resource: url,
        authorizationServers: [as.issuer],
        scopesSupported: ["mcp:read", "mcp:admin"],
        requiredScopes: ["mcp:read"],
        verifyAccessToken: jwtVerifier({ issuer: as.issuer, audience: url }),
      },
    },
  });
});
after(async () => {
  await handler?.close();
  await running?.close();
  await as?.stop();
});

describe("oauth end to end: the official SDK client's authorization-code flow", () => {
  it("discovers everything from the 401, authorizes with PKCE, calls tools as alice, and steps up on a 403", async () => {
    const provider = new MemoryClientProvider();
    const first = new Client({ name: "oauth-e2e-client", version: "1.0.0" });
    first.onerror = () => {};
    await assert.rejects(
      within(
        first.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider })),
        15_000,
        "the first connect",
      ),
      UnauthorizedError,
    );
    // It registered itself and sent the user to the discovered authorization endpoint, asking
    // for the scope the 401 named (not everything in scopes_supported).
    assert.ok(provider.client?.client_id, "dynamic client registration");
    const authorizationUrl = provider.authorizationUrl!;
    assert.equal(authorizationUrl.origin, as.issuer);
    assert.equal(authorizationUrl.searchParams.get("resource"), url);
    assert.equal(authorizationUrl.searchParams.get("code_challenge_method"), "S256");
    assert.equal(authorizationUrl.searchParams.get("scope"), "mcp:read");

    const callback = await within(userAgent(authorizationUrl), 15_000, "the authorization");
    const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
    await within(transport.finishAuth(callback.get("code")!), 15_000, "the token exchange");
    assert.equal(provider.saved?.token_type?.toLowerCase(), "bearer");

    const client = new Client({ name: "oauth-e2e-client", version: "1.0.0" });
    client.onerror = () => {};
    await within(client.connect(transport), 15_000, "the authorized connect");
    try {
      const whoami = await client.callTool({ name: "whoami", arguments: {} });
      assert.deepEqual(whoami.content, [{ type: "text", text: "alice" }]);
      const session = transport.sessionId;
      // admin_report needs mcp:admin: the 403 names mcp:read and mcp:admin, and the client
      // sends the user to authorize those.
      await assert.rejects(
        within(client.callTool({ name: "admin_report", arguments: {} }), 15_000, "the 403"),
        UnauthorizedError,
      );
      const stepUp = provider.authorizationUrl!;
      assert.notEqual(stepUp, authorizationUrl);
      assert.equal(stepUp.searchParams.get("scope"), "mcp:read mcp:admin");
      const granted = await within(userAgent(stepUp), 15_000, "the step-up authorization");
      await within(transport.finishAuth(granted.get("code")!), 15_000, "the step-up exchange");
      // The same session goes on: it is bound to alice, not to the token.
      const report = await client.callTool({ name: "admin_report", arguments: {} });
      assert.deepEqual(report.content, [{ type: "text", text: "the report" }]);
      assert.equal(transport.sessionId, session);
    } finally {
      await client.close();
    }
  });

  it("SDK v2 client pinned to 2026-07-28: the same flow, stateless calls, and a step-up on a 403", async () => {
    const provider = new MemoryClientProvider();
    const modernClient = () =>
      new ModernClient({ name: "oauth-e2e-v2", version: "1.0.0" }, {
        versionNegotiation: { mode: { pin: "2026-07-28" } },
      });
    const first = modernClient();
    first.onerror = () => {};
    await assert.rejects(
      within(
        first.connect(new ModernTransport(new URL(url), { authProvider: provider })),
        15_000,
        "the first connect",
      ),
      ModernUnauthorizedError,
    );
    const authorizationUrl = provider.authorizationUrl!;
    assert.equal(authorizationUrl.searchParams.get("resource"), url);
    const callback = await within(userAgent(authorizationUrl), 15_000, "the authorization");
    const transport = new ModernTransport(new URL(url), { authProvider: provider });
    await within(transport.finishAuth(callback), 15_000, "the token exchange");
    const client = modernClient();
    client.onerror = () => {};
    await within(client.connect(transport), 15_000, "the authorized connect");
    try {
      eras.length = 0;
      const whoami = await client.callTool({ name: "whoami", arguments: {} });
      assert.deepEqual(whoami.content, [{ type: "text", text: "alice" }]);
      assert.deepEqual(eras, ["modern"], "the call went the 2026-07-28 way");
      // The 2026-07-28 403 names only mcp:admin; the client adds it to the scopes it asked for.
      await assert.rejects(
        within(client.callTool({ name: "admin_report", arguments: {} }), 15_000, "the 403"),
        ModernUnauthorizedError,
      );
      const stepUp = provider.authorizationUrl!;
      assert.deepEqual(
        stepUp.searchParams.get("scope")?.split(" ").filter((scope) => scope.startsWith("mcp:")),
        ["mcp:read", "mcp:admin"],
      );
      const granted = await within(userAgent(stepUp), 15_000, "the step-up authorization");
      await within(transport.finishAuth(granted), 15_000, "the step-up exchange");
      const report = await client.callTool({ name: "admin_report", arguments: {} });
      assert.deepEqual(report.content, [{ type: "text", text: "the report" }]);
    } finally {
      await client.close();
    }
  });
});
