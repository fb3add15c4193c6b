/**
 * The `oauth` option with a verifier of the test's own (no authorization
 * server): RFC 9728 metadata, the 401 and 403 challenges in both eras, the
 * principal handlers see, and the same behind `path: null` and Hono.
 * tests/e2e/oauth/ does it with real tokens.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import {
  definePrompt,
  defineResourceTemplate,
  defineTool,
  InvalidTokenError,
} from "../../../mod.ts";
import type { McpHandlerOptions, OAuthOptions, TokenPrincipal } from "../../../mod.ts";
import { mcpRoute } from "../../../src/adapters/hono.ts";
import {
  assertHttpError,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  rpc,
} from "../../helpers.ts";
import { MODERN, modernRequest, modernRpc } from "../../support/modern_helpers.ts";

const RESOURCE = "http://127.0.0.1:8787/mcp";
const METADATA = "http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp";

/** The tokens the stub verifier knows, and their subject and scopes. */
const TOKENS: Record<string, [string, string[]]> = {
  "alice-read": ["alice", ["mcp:read"]],
  "alice-read-extra": ["alice", ["mcp:read", "unknown:scope"]],
  "mallory-read": ["mallory", ["mcp:read"]],
  "carol-admin": ["carol", ["mcp:read", "mcp:admin"]],
  "bob-none": ["bob", []],
};

/** The stub verifier: "broken" fails the verifier itself, "revoked" throws, an unknown token is null. */
function verifyAccessToken(token: string): TokenPrincipal | null {
  if (token === "broken") throw new Error("issuer unreachable");
  if (token === "revoked") throw new InvalidTokenError("revoked");
  const known = TOKENS[token];
  if (known === undefined) return null;
  return { id: known[0], scopes: known[1], claims: { sub: known[0] } };
}

const OAUTH: OAuthOptions = {
  resource: RESOURCE,
  authorizationServers: ["https://auth.example.com"],
  scopesSupported: ["mcp:read", "mcp:admin"],
  verifyAccessToken,
  resourceName: "test server",
};

const whoami = defineTool({
  name: "whoami",
  handler: (_input, ctx) => JSON.stringify(ctx.principal),
});
const adminReport = defineTool({
  name: "admin_report",
  scopes: ["mcp:admin"],
  handler: () => "the report",
});

function oauthHandler(options: Partial<McpHandlerOptions> = {}) {
  return makeHandler({
    tools: [whoami, adminReport],
    prompts: [definePrompt({ name: "audit", scopes: ["mcp:audit"], handler: () => "Audit." })],
    resourceTemplates: [defineResourceTemplate({
      uriTemplate: "secret://{name}",
      name: "secret",
      scopes: ["mcp:admin"],
      read: (_uri, { name }) => `secret ${name}`,
    })],
    ...options,
    auth: {
      oauth: OAUTH,
      ...options?.auth,
    },
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("oauth: protected-resource metadata (RFC 9728)", () => {
  it("is served at the path-inserted and the root well-known paths, without a token", async () => {
    const handler = oauthHandler();
    for (
      const path of [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
      ]
    ) {
      const response = await handler(new Request(`http://127.0.0.1:8787${path}`));
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await response.json(), {
        resource: RESOURCE,
        authorization_servers: ["https://auth.example.com"],
        scopes_supported: ["mcp:read", "mcp:admin"],
        bearer_methods_supported: ["header"],
        resource_name: "test server",
      });
    }
    await handler.close();
  });

  it("is readable from any origin, and an origin the cors option allows gets its own grant", async () => {
    // A browser client on any page must read the metadata to find the authorization server.
    const handler = oauthHandler();
    const stranger = await handler(
      new Request(METADATA, { headers: { origin: "https://elsewhere.example" } }),
    );
    assert.equal(stranger.status, 200);
    assert.equal(stranger.headers.get("access-control-allow-origin"), "*");
    await stranger.body?.cancel();
    await handler.close();
    const withCors = oauthHandler({ security: { cors: { origins: ["https://app.example"] } } });
    const stranger2 = await withCors(
      new Request(METADATA, { headers: { origin: "https://elsewhere.example" } }),
    );
    assert.equal(stranger2.status, 200);
    assert.equal(stranger2.headers.get("access-control-allow-origin"), "*");
    await stranger2.body?.cancel();
    const allowed = await withCors(
      new Request(METADATA, { headers: { origin: "https://app.example" } }),
    );
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
    assert.match(allowed.headers.get("vary") ?? "", /Origin/);
    await allowed.body?.cancel();
    await withCors.close();
  });

  it("is not served without the oauth option, nor for another resource path", async () => {
    const plain = makeHandler({ tools: [] });
    const response = await plain(
      new Request("http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"),
    );
    assert.equal(response.status, 404);
    await plain.close();
    const handler = oauthHandler();
    const other = await handler(
      new Request("http://127.0.0.1:8787/.well-known/oauth-protected-resource/other"),
    );
    assert.equal(other.status, 404);
    await handler.close();
  });

  it("follows the resource's path behind path: null, also through Hono's mcpRoute", async () => {
    const handler = oauthHandler({
      http: {
        path: null,
      },
      auth: {
        oauth: { ...OAUTH, resource: "http://127.0.0.1:8787/api/mcp" },
      },
    });
    const app = new Hono();
    app.get("/.well-known/oauth-protected-resource/*", mcpRoute(handler));
    app.all("/api/mcp", mcpRoute(handler));
    const metadata = await app.request(
      "http://127.0.0.1:8787/.well-known/oauth-protected-resource/api/mcp",
    );
    assert.equal(metadata.status, 200);
    assert.equal((await metadata.json()).resource, "http://127.0.0.1:8787/api/mcp");
    const refused = await app.request(postRequest(initializeMessage(), {
      url: "http://127.0.0.1:8787/api/mcp",
    }));
    assert.equal(refused.status, 401);
    assert.equal(
      refused.headers.get("www-authenticate"),
      'Bearer resource_metadata="http://127.0.0.1:8787/.well-known/oauth-protected-resource/api/mcp"',
    );
    const admitted = await app.request(postRequest(initializeMessage(), {
      url: "http://127.0.0.1:8787/api/mcp",
      headers: bearer("alice-read"),
    }));
    assert.equal(admitted.status, 200);
    await handler.close();
  });
});

describe("oauth: 401 challenges", () => {
  it("asks for a token, naming the metadata, when none is sent (both eras, GET and DELETE too)", async () => {
    const handler = oauthHandler();
    const requests = [
      postRequest(initializeMessage()),
      modernRequest("tools/list", {}, { id: 1 }),
      new Request(RESOURCE, { headers: { accept: "text/event-stream", "mcp-session-id": "x" } }),
      new Request(RESOURCE, { method: "DELETE", headers: { "mcp-session-id": "x" } }),
      postRequest(initializeMessage(), { headers: { authorization: "Basic dXNlcjpwdw==" } }),
    ];
    const ids = [0, 1, null, null, 0];
    for (const [index, request] of requests.entries()) {
      const response = await handler(request);
      assert.equal(
        response.headers.get("www-authenticate"),
        `Bearer resource_metadata="${METADATA}"`,
        request.method,
      );
      await assertHttpError(response, 401, { id: ids[index], message: /bearer token is required/ });
    }
    await handler.close();
  });

  it("says invalid_token for a token the verifier rejects, or a malformed one", async () => {
    const handler = oauthHandler();
    for (
      const authorization of [
        "Bearer nobody",
        "Bearer revoked",
        "Bearer a:b",
        "Bearer a b",
        "Bearer ",
      ]
    ) {
      const response = await handler(
        postRequest(initializeMessage(), { headers: { authorization } }),
      );
      assert.equal(
        response.headers.get("www-authenticate"),
        `Bearer resource_metadata="${METADATA}", error="invalid_token"`,
        authorization,
      );
      await assertHttpError(response, 401, { id: 0, message: /invalid access token/ });
    }
    const modern = await handler(
      modernRequest("tools/list", {}, { id: 2, headers: bearer("revoked") }),
    );
    assert.match(modern.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
    await assertHttpError(modern, 401, { id: 2 });
    await handler.close();
  });

  it("answers 500 and reports a verifier that fails (not a 401 that sends the client to log in)", async () => {
    const errors: unknown[] = [];
    const handler = oauthHandler({ observe: { onError: (error) => errors.push(error) } });
    const response = await handler(postRequest(initializeMessage(), { headers: bearer("broken") }));
    assert.equal(response.headers.get("www-authenticate"), null);
    await assertHttpError(response, 500);
    assert.match(String(errors[0]), /issuer unreachable/);
    await handler.close();
  });
});

describe("oauth: principal", () => {
  it("gives handlers the token's subject, scopes and claims, never the token; sessions stay bound to it", async () => {
    const handler = oauthHandler();
    const session = await initialize(handler, { headers: bearer("alice-read") });
    const called = await rpc(handler, session, "tools/call", { name: "whoami" });
    const text = called.message.result.content[0].text;
    assert.deepEqual(JSON.parse(text), {
      id: "alice",
      scopes: ["mcp:read"],
      claims: { sub: "alice" },
    });
    assert.ok(!text.includes("alice-read"), "the token itself is never handed on");
    // Another subject's token does not open alice's session.
    const stolen = await rpc(
      handler,
      { ...session, headers: bearer("mallory-read") },
      "tools/list",
    );
    assert.equal(stolen.status, 403);
    assert.equal(stolen.response.headers.get("www-authenticate"), null);
    const modern = await modernRpc(handler, "tools/call", { name: "whoami" }, {
      headers: bearer("bob-none"),
    });
    assert.equal(JSON.parse(modern.message.result.content[0].text).id, "bob");
    await handler.close();
  });
});

describe("oauth: 403 insufficient_scope", () => {
  it("2025 era: names the scopes held plus the ones needed, and runs nothing", async () => {
    let ran = 0;
    const handler = oauthHandler({
      tools: [
        whoami,
        defineTool({ name: "admin_report", scopes: ["mcp:admin"], handler: () => `${++ran}` }),
      ],
    });
    const session = await initialize(handler, { headers: bearer("alice-read-extra") });
    const refused = await rpc(handler, session, "tools/call", { name: "admin_report" }, { id: 9 });
    assert.equal(
      refused.response.headers.get("www-authenticate"),
      `Bearer error="insufficient_scope", scope="mcp:read mcp:admin", resource_metadata="${METADATA}"`,
    );
    assert.equal(refused.status, 403);
    assert.equal(refused.message.id, 9);
    assert.equal(ran, 0);
    const admin = await initialize(handler, { headers: bearer("carol-admin") });
    const allowed = await rpc(handler, admin, "tools/call", { name: "admin_report" });
    assert.equal(allowed.message.result.content[0].text, "1");
    await handler.close();
  });

  it("a tool declaring scopes that is added at runtime is checked from then on", async () => {
    // Until some definition declares scopes the check is skipped: adding one must turn it on.
    const handler = makeHandler({ auth: { oauth: OAUTH }, tools: [whoami] });
    const session = await initialize(handler, { headers: bearer("alice-read") });
    handler.tools.add(
      defineTool({ name: "late_admin", scopes: ["mcp:admin"], handler: () => "secret" }),
    );
    const refused = await rpc(handler, session, "tools/call", { name: "late_admin" });
    assert.equal(refused.status, 403);
    assert.match(refused.response.headers.get("www-authenticate") ?? "", /mcp:admin/);
    await handler.close();
  });

  it("2025 era: prompts and resource templates declaring scopes, and a batch with one such call", async () => {
    const handler = oauthHandler();
    const session = await initialize(handler, {
      protocolVersion: "2025-03-26",
      headers: bearer("alice-read"),
    });
    const prompt = await rpc(handler, session, "prompts/get", { name: "audit" });
    assert.equal(prompt.status, 403);
    assert.match(
      prompt.response.headers.get("www-authenticate") ?? "",
      /scope="mcp:read mcp:audit"/,
    );
    const read = await rpc(handler, session, "resources/read", { uri: "secret://plans" });
    assert.equal(read.status, 403);
    const batch = await handler(postRequest([
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "admin_report" } },
    ], {
      sessionId: session.id,
      protocolVersion: session.protocolVersion,
      headers: bearer("alice-read"),
    }));
    assert.equal(batch.status, 403);
    assert.match(batch.headers.get("www-authenticate") ?? "", /scope="mcp:read mcp:admin"/);
    const listed = await rpc(handler, session, "tools/list");
    assert.deepEqual(listed.message.result.tools.map((t: { name: string }) => t.name), [
      "whoami",
      "admin_report",
    ]);
    await handler.close();
  });

  it("2026-07-28: names only the scopes the operation needs", async () => {
    const handler = oauthHandler();
    const refused = await handler(
      modernRequest("tools/call", { name: "admin_report" }, {
        id: 4,
        headers: bearer("alice-read"),
      }),
    );
    assert.equal(
      refused.headers.get("www-authenticate"),
      `Bearer error="insufficient_scope", scope="mcp:admin", resource_metadata="${METADATA}"`,
    );
    await assertHttpError(refused, 403, { id: 4, message: /insufficient scope/ });
    const allowed = await modernRpc(handler, "tools/call", { name: "admin_report" }, {
      headers: bearer("carol-admin"),
    });
    assert.equal(allowed.message.result.content[0].text, "the report");
    // A listen stream subscribing to a resource that needs a scope is refused before it opens.
    const listen = await handler(modernRequest("subscriptions/listen", {
      notifications: { resourceSubscriptions: ["secret://plans"] },
    }, { id: 5, headers: bearer("alice-read") }));
    assert.equal(
      listen.headers.get("www-authenticate"),
      `Bearer error="insufficient_scope", scope="mcp:admin", resource_metadata="${METADATA}"`,
    );
    await assertHttpError(listen, 403, { id: 5 });
    await handler.close();
  });

  it("reports its refusals to onEvent at the steps authenticate and scope", async () => {
    const steps: string[] = [];
    const handler = oauthHandler({
      observe: {
        onEvent: (event) => {
          if (event.type === "refusal") steps.push(`${event.step} ${event.status}`);
        },
      },
    });
    await (await handler(modernRequest("tools/list"))).body?.cancel();
    await (await handler(
      modernRequest("tools/call", { name: "admin_report" }, { headers: bearer("alice-read") }),
    )).body?.cancel();
    assert.deepEqual(steps, ["authenticate 401", "scope 403"]);
    assert.deepEqual((await handler.stats()).refusalsByStep, { authenticate: 1, scope: 1 });
    await handler.close();
  });

  it("applies to a principal from authenticate too, without resource_metadata", async () => {
    const handler = makeHandler({
      tools: [adminReport],
      auth: {
        authenticate: () => ({ id: "alice", scopes: ["mcp:read"] }),
      },
    });
    const refused = await handler(modernRequest("tools/call", { name: "admin_report" }));
    assert.equal(
      refused.headers.get("www-authenticate"),
      'Bearer error="insufficient_scope", scope="mcp:admin"',
    );
    assert.equal(refused.status, 403);
    await handler.close();
  });
});

describe("oauth: requiredScopes", () => {
  it("names them in the 401 and answers a token without them 403, in both eras and on GET", async () => {
    const handler = oauthHandler({ auth: { oauth: { ...OAUTH, requiredScopes: ["mcp:read"] } } });
    const anonymous = await handler(postRequest(initializeMessage()));
    assert.equal(
      anonymous.headers.get("www-authenticate"),
      `Bearer resource_metadata="${METADATA}", scope="mcp:read"`,
    );
    await assertHttpError(anonymous, 401, { id: 0 });
    const bad = await handler(postRequest(initializeMessage(), { headers: bearer("nobody") }));
    assert.equal(
      bad.headers.get("www-authenticate"),
      `Bearer resource_metadata="${METADATA}", scope="mcp:read", error="invalid_token"`,
    );
    await bad.body?.cancel();
    const bare = await handler(postRequest(initializeMessage(), { headers: bearer("bob-none") }));
    assert.equal(
      bare.headers.get("www-authenticate"),
      `Bearer error="insufficient_scope", scope="mcp:read", resource_metadata="${METADATA}"`,
    );
    await assertHttpError(bare, 403, { id: 0 });
    const modern = await handler(modernRequest("tools/list", {}, { headers: bearer("bob-none") }));
    assert.equal(modern.status, 403);
    await modern.body?.cancel();
    // A token with the scope passes; one that lost it cannot use its session's listening stream.
    const session = await initialize(handler, { headers: bearer("alice-read") });
    const allowed = await rpc(handler, session, "tools/call", { name: "whoami" });
    assert.equal(JSON.parse(allowed.message.result.content[0].text).id, "alice");
    const admin = await rpc(handler, session, "tools/call", { name: "admin_report" });
    assert.match(
      admin.response.headers.get("www-authenticate") ?? "",
      /scope="mcp:read mcp:admin"/,
    );
    const listening = await handler(
      new Request(RESOURCE, {
        headers: {
          accept: "text/event-stream",
          "mcp-session-id": session.id,
          "mcp-protocol-version": session.protocolVersion,
          authorization: "Bearer bob-none",
        },
      }),
    );
    assert.equal(listening.status, 403);
    assert.match(listening.headers.get("www-authenticate") ?? "", /insufficient_scope/);
    await listening.body?.cancel();
    await handler.close();
  });
});

describe("oauth: option checks", () => {
  it("refuses oauth with authenticate, a bad resource, no authorization server, a bad scope", () => {
    assert.throws(
      () => makeHandler({ auth: { oauth: OAUTH, authenticate: () => undefined } }),
      /auth.oauth and auth.authenticate cannot both be set/,
    );
    assert.throws(
      () => makeHandler({ auth: { oauth: { ...OAUTH, resource: "mcp" } } }),
      /oauth.resource/,
    );
    assert.throws(
      () => makeHandler({ auth: { oauth: { ...OAUTH, resource: `${RESOURCE}#x` } } }),
      /fragment/,
    );
    assert.throws(
      () => makeHandler({ auth: { oauth: { ...OAUTH, authorizationServers: [] } } }),
      /authorizationServers/,
    );
    assert.throws(
      () => makeHandler({ auth: { oauth: { ...OAUTH, scopesSupported: ["a b"] } } }),
      /scopesSupported/,
    );
    assert.throws(
      () => makeHandler({ auth: { oauth: { ...OAUTH, requiredScopes: ['a"'] } } }),
      /requiredScopes/,
    );
    assert.throws(
      () => makeHandler({ tools: [defineTool({ name: "t", scopes: ['x"y'], handler: () => "" })] }),
      /scopes must be an array of OAuth scope tokens/,
    );
  });
});

void MODERN;
