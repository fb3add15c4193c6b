/**
 * The handler with `jwtVerifier` against a real authorization server
 * (oidc-provider in a Node 24 child: authorization_server_process.ts):
 * discovery from the issuer, real tokens by client credentials, tokens it
 * would never issue signed with its own key (expired, not yet valid,
 * another issuer) or another key, tokens for another resource, garbage,
 * key rotation with a bounded refetch, scope challenges, both eras, and
 * opaque tokens through `introspectionVerifier`.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { exportJWK, generateKeyPair } from "jose";
import {
  type AccessTokenVerifier,
  createMcpHandler,
  defineTool,
  type McpHandler,
} from "../../../mod.ts";
import { introspectionVerifier, jwtVerifier } from "../../../src/oauth/mod.ts";
import {
  initialize,
  initializeMessage,
  postRequest,
  readAnswer,
  rpc,
  TestClock,
} from "../../helpers.ts";
import { modernRequest, modernRpc } from "../../support/modern_helpers.ts";
import {
  type AuthorizationServer,
  signToken,
  startAuthorizationServer,
} from "./authorization_server_process.ts";

const RESOURCE = "http://127.0.0.1:8787/mcp";

let as: AuthorizationServer;
before(async () => {
  as = await startAuthorizationServer();
});
after(async () => {
  await as?.stop();
});

const tools = [
  defineTool({ name: "whoami", handler: (_input, ctx) => ctx.principal.id }),
  defineTool({ name: "admin_report", scopes: ["mcp:admin"], handler: () => "the report" }),
];

/**
 * A fetch that records the URLs it was asked for; `missing` ones answer 404,
 * and while `down` is set every request fails as an unreachable server's would.
 */
function recordingFetch(missing: (url: string) => boolean = () => false) {
  const urls: string[] = [];
  const state = { down: false };
  const recorded = (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    urls.push(url);
    if (state.down) return Promise.reject(new TypeError("fetch failed: connection refused"));
    if (missing(url)) return Promise.resolve(new Response("not here", { status: 404 }));
    return fetch(input, init);
  };
  return { urls, state, fetch: recorded as typeof fetch };
}

function handlerFor(verifier: AccessTokenVerifier): McpHandler {
  return createMcpHandler({
    name: "oauth-test",
    version: "1.0.0",
    tools,
    observe: {
      onError: () => {},
    },
    auth: {
      oauth: {
        resource: RESOURCE,
        authorizationServers: [as.issuer],
        scopesSupported: ["mcp:read", "mcp:admin"],
        verifyAccessToken: verifier,
      },
    },
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The status and challenge of an initialize sent with `token`. */
async function tryToken(handler: McpHandler, token: string) {
  const response = await handler(postRequest(initializeMessage(), { headers: bearer(token) }));
  await response.body?.cancel();
  return { status: response.status, challenge: response.headers.get("www-authenticate") };
}

const seconds = () => Math.floor(Date.now() / 1000);

describe("oauth with oidc-provider: JWT access tokens", () => {
  it("accepts its tokens for this resource in both eras; whoami is the token's subject", async () => {
    const recorder = recordingFetch();
    const handler = handlerFor(
      jwtVerifier({ issuer: as.issuer, audience: RESOURCE, fetch: recorder.fetch }),
    );
    const token = await as.clientCredentials("service", RESOURCE);
    const session = await initialize(handler, { headers: bearer(token) });
    const legacy = await rpc(handler, session, "tools/call", { name: "whoami" });
    assert.equal(legacy.message.result.content[0].text, "service");
    const modern = await modernRpc(handler, "tools/call", { name: "whoami" }, {
      headers: bearer(token),
    });
    assert.equal(modern.message.result.content[0].text, "service");
    // Discovery once (RFC 8414 first), keys once: nothing more for later requests.
    assert.deepEqual(recorder.urls, [
      `${as.issuer}/.well-known/oauth-authorization-server`,
      `${as.issuer}/jwks`,
    ]);
    await handler.close();
  });

  it("falls back to OpenID Connect discovery when RFC 8414 metadata is missing", async () => {
    const recorder = recordingFetch((url) => url.includes("/oauth-authorization-server"));
    const handler = handlerFor(
      jwtVerifier({ issuer: as.issuer, audience: RESOURCE, fetch: recorder.fetch }),
    );
    const token = await as.clientCredentials("service", RESOURCE);
    assert.equal((await tryToken(handler, token)).status, 200);
    assert.deepEqual(recorder.urls, [
      `${as.issuer}/.well-known/oauth-authorization-server`,
      `${as.issuer}/.well-known/openid-configuration`,
      `${as.issuer}/jwks`,
    ]);
    await handler.close();
  });

  it("refuses with invalid_token: expired, not yet valid, another issuer, another resource, unknown key, garbage", async () => {
    const handler = handlerFor(jwtVerifier({ issuer: as.issuer, audience: RESOURCE }));
    const now = seconds();
    const claims = { sub: "alice", iss: as.issuer, aud: RESOURCE, scope: "mcp:read", iat: now };
    // Positive control: a token signed here with the server's key and the right claims passes.
    assert.equal(
      (await tryToken(handler, await signToken(as.privateJwk, { ...claims, exp: now + 600 })))
        .status,
      200,
    );
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const strangerKey = { ...(await exportJWK(privateKey)), kid: "stranger" };
    const refused = {
      expired: await signToken(as.privateJwk, { ...claims, exp: now - 3600 }),
      "not yet valid": await signToken(as.privateJwk, {
        ...claims,
        nbf: now + 3600,
        exp: now + 7200,
      }),
      "other issuer": await signToken(as.privateJwk, {
        ...claims,
        iss: "http://127.0.0.1:1",
        exp: now + 600,
      }),
      "other resource": await as.clientCredentials("service", "http://127.0.0.1:8787/other"),
      "unknown key": await signToken(strangerKey, { ...claims, exp: now + 600 }),
      "no subject": await signToken(as.privateJwk, { ...claims, sub: undefined, exp: now + 600 }),
      garbage: "abc.def.ghi",
      "not a jwt": "opaque-token",
    };
    for (const [what, token] of Object.entries(refused)) {
      const { status, challenge } = await tryToken(handler, token);
      assert.equal(status, 401, what);
      assert.match(challenge ?? "", /error="invalid_token"/, what);
    }
    // A little skew is tolerated.
    const skewed = await signToken(as.privateJwk, { ...claims, nbf: now + 10, exp: now + 600 });
    assert.equal((await tryToken(handler, skewed)).status, 200);
    await handler.close();
  });

  it("follows a key rotation with one refetch, and refetches no more often than the bound", async () => {
    const clock = new TestClock(Date.now());
    const recorder = recordingFetch();
    const handler = handlerFor(jwtVerifier({
      issuer: as.issuer,
      audience: RESOURCE,
      fetch: recorder.fetch,
      now: clock.now,
      refetchIntervalMs: 30_000,
    }));
    const jwksFetches = () => recorder.urls.filter((url) => url.endsWith("/jwks")).length;
    assert.equal(
      (await tryToken(handler, await as.clientCredentials("service", RESOURCE))).status,
      200,
    );
    assert.equal(jwksFetches(), 1);
    await as.rotate();
    const rotated = await as.clientCredentials("service", RESOURCE);
    // Within the bound the new key is not fetched: the token is refused, and nothing is asked.
    clock.advance(10_000);
    assert.equal((await tryToken(handler, rotated)).status, 401);
    assert.equal(jwksFetches(), 1);
    // Past it, the unknown key makes exactly one refetch, and the token passes.
    clock.advance(30_000);
    assert.equal((await tryToken(handler, rotated)).status, 200);
    assert.equal(jwksFetches(), 2);
    // A flood of tokens with made-up keys right after costs no request at all.
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk = await exportJWK(privateKey);
    const now = seconds();
    for (let index = 0; index < 5; index++) {
      const forged = await signToken({ ...jwk, kid: `made-up-${index}` }, {
        sub: "mallory",
        iss: as.issuer,
        aud: RESOURCE,
        exp: now + 600,
      });
      assert.equal((await tryToken(handler, forged)).status, 401);
    }
    assert.equal(jwksFetches(), 2);
    // The old key is still published, second: its tokens still pass.
    assert.equal((await tryToken(handler, rotated)).status, 200);
    await handler.close();
  });

  it("keeps verifying with the keys it has while the issuer is down, and retries within the bound", async () => {
    const clock = new TestClock(Date.now());
    const recorder = recordingFetch();
    const handler = handlerFor(jwtVerifier({
      issuer: as.issuer,
      audience: RESOURCE,
      fetch: recorder.fetch,
      now: clock.now,
      keysMaxAgeMs: 60_000,
      refetchIntervalMs: 30_000,
    }));
    // The token lives 600 s: the clock moves 90 s in all.
    const token = await as.clientCredentials("service", RESOURCE);
    assert.equal((await tryToken(handler, token)).status, 200);
    const fetches = recorder.urls.length;
    recorder.state.down = true;
    clock.advance(60_000); // the keys are due for a refresh, which fails
    assert.equal((await tryToken(handler, token)).status, 200);
    assert.equal(recorder.urls.length, fetches + 1);
    // Until the retry time, no request waits on the issuer again, forged key ids included.
    assert.equal((await tryToken(handler, token)).status, 200);
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const forged = await signToken({ ...(await exportJWK(privateKey)), kid: "forged" }, {
      sub: "mallory",
      iss: as.issuer,
      aud: RESOURCE,
      exp: seconds() + 600,
    });
    assert.equal((await tryToken(handler, forged)).status, 401);
    assert.equal(recorder.urls.length, fetches + 1);
    // Past it, and the issuer back, the keys are fresh again.
    recorder.state.down = false;
    clock.advance(30_000);
    assert.equal((await tryToken(handler, token)).status, 200);
    assert.ok(recorder.urls.length > fetches + 1);
    await handler.close();
  });

  it("challenges for mcp:admin (403) a token without it, in both eras", async () => {
    const handler = handlerFor(jwtVerifier({ issuer: as.issuer, audience: RESOURCE }));
    const reader = await as.clientCredentials("reader", RESOURCE, "mcp:read");
    const session = await initialize(handler, { headers: bearer(reader) });
    const legacy = await rpc(handler, session, "tools/call", { name: "admin_report" });
    assert.equal(legacy.status, 403);
    assert.match(
      legacy.response.headers.get("www-authenticate") ?? "",
      /error="insufficient_scope", scope="mcp:read mcp:admin"/,
    );
    const modern = await readAnswer(
      await handler(
        modernRequest("tools/call", { name: "admin_report" }, { headers: bearer(reader) }),
      ),
    );
    assert.equal(modern.status, 403);
    assert.match(
      modern.response.headers.get("www-authenticate") ?? "",
      /error="insufficient_scope", scope="mcp:admin"/,
    );
    const admin = await as.clientCredentials("service", RESOURCE);
    const allowed = await modernRpc(handler, "tools/call", { name: "admin_report" }, {
      headers: bearer(admin),
    });
    assert.equal(allowed.message.result.content[0].text, "the report");
    await handler.close();
  });

  it("answers 503 + Retry-After, not 401 or 500, when the issuer cannot be reached", async () => {
    const errors: unknown[] = [];
    const unreachable = "http://127.0.0.1:1";
    const handler = createMcpHandler({
      name: "oauth-test",
      version: "1.0.0",
      tools,
      observe: {
        onError: (error) => errors.push(error),
      },
      auth: {
        oauth: {
          resource: RESOURCE,
          authorizationServers: [unreachable],
          verifyAccessToken: jwtVerifier({
            issuer: unreachable,
            audience: RESOURCE,
            timeoutMs: 2_000,
          }),
        },
      },
    });
    const now = seconds();
    const token = await signToken(as.privateJwk, {
      sub: "alice",
      iss: unreachable,
      aud: RESOURCE,
      iat: now,
      exp: now + 600,
    });
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await handler(postRequest(initializeMessage(), { headers: bearer(token) }));
      assert.equal(response.status, 503);
      assert.equal(response.headers.get("www-authenticate"), null);
      assert.ok(Number(response.headers.get("retry-after")) >= 1);
      await response.body?.cancel();
    }
    assert.equal(errors.length, 1, "reported once, not once per request");
    await handler.close();
  });
});

describe("oauth with oidc-provider: opaque tokens through introspection (RFC 7662)", () => {
  const OPAQUE = "http://127.0.0.1:8787/opaque";

  it("accepts an active token for this resource; refuses unknown tokens and tokens for another", async () => {
    const handler = createMcpHandler({
      name: "oauth-test",
      version: "1.0.0",
      http: {
        path: "/opaque",
      },
      tools,
      observe: {
        onError: () => {},
      },
      auth: {
        oauth: {
          resource: OPAQUE,
          authorizationServers: [as.issuer],
          verifyAccessToken: introspectionVerifier({
            endpoint: `${as.issuer}/token/introspection`,
            clientId: "resource-server",
            clientSecret: "resource-server-secret",
            audience: OPAQUE,
            issuer: as.issuer,
          }),
        },
      },
    });
    const token = await as.clientCredentials("service", OPAQUE);
    assert.ok(!token.includes("."), "an opaque token, not a JWT");
    const request = (bearerToken: string) =>
      postRequest(initializeMessage(), { url: OPAQUE, headers: bearer(bearerToken) });
    const accepted = await handler(request(token));
    assert.equal(accepted.status, 200);
    await accepted.body?.cancel();
    const otherResource = await as.clientCredentials(
      "service",
      "http://127.0.0.1:8787/other/opaque",
    );
    for (const bad of ["unknown-token", otherResource]) {
      const refused = await handler(request(bad));
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
      await refused.body?.cancel();
    }
    await handler.close();
  });
});
