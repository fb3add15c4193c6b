/**
 * DPoP end to end: oidc-provider (in a Node 24 child) issues a DPoP-bound
 * JWT access token by client credentials with a proof (its `cnf.jkt` names
 * the client's key), and raw fetch calls tether over real HTTP on this
 * runtime with `Authorization: DPoP` and a fresh jose-signed proof per
 * request: accepted, with the token's principal; the same token as
 * `Bearer` refused; a proof replayed refused; and, with two instances on
 * one real redis-server (each its own `createRedisBackend`), a proof used
 * on one refused on the other.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMcpHandler, defineTool, type DpopOptions, type McpHandler } from "../../../mod.ts";
import { introspectionVerifier, jwtVerifier } from "../../../src/oauth/mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { ENDPOINT, initializeMessage, postRequest } from "../../helpers.ts";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { itRedis, redisSkip, startRedis, type TestRedis } from "../redis/redis_server.ts";
import {
  type AuthorizationServer,
  startAuthorizationServer,
} from "./authorization_server_process.ts";
import { dpopProof, type ProofKey, proofKey } from "./dpop_proofs.ts";

let as: AuthorizationServer;
let redis: TestRedis | undefined;
const running: RunningServer[] = [];
const handlers: McpHandler[] = [];
const backends: RedisBackend[] = [];

before(async () => {
  as = await startAuthorizationServer();
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  for (const handler of handlers) await handler.close();
  for (const server of running) await server.close();
  for (const backend of backends) await backend.close();
  await redis?.stop();
  await as?.stop();
});

const whoami = defineTool({ name: "whoami", handler: (_input, ctx) => ctx.principal.id });

/** A token of `service` for `resource`, bound to `key` (the token request carries a proof). */
async function boundToken(key: ProofKey, resource: string): Promise<string> {
  const response = await fetch(`${as.issuer}/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa("service:service-secret")}`,
      "content-type": "application/x-www-form-urlencoded",
      dpop: await dpopProof(key, { htu: `${as.issuer}/token` }),
    },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      resource,
      scope: "mcp:read",
    }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, "DPoP");
  return body.access_token;
}

/** Serves a handler with DPoP on a free port; `resource` is the public URL every instance shares. */
async function instance(
  dpop: DpopOptions,
  resource?: string,
  opaque = false,
): Promise<{ url: string; resource: string }> {
  const late: { handler?: McpHandler } = {};
  const server = await serveHandler((request: Request) => late.handler!(request), 0);
  running.push(server);
  // The authorization server issues opaque tokens for a resource ending in /opaque.
  const path = opaque ? "/opaque" : "/mcp";
  const url = `${server.url}${path}`;
  const publicUrl = resource ?? url;
  const verifyAccessToken = opaque
    ? introspectionVerifier({
      endpoint: `${as.issuer}/token/introspection`,
      clientId: "resource-server",
      clientSecret: "resource-server-secret",
      audience: publicUrl,
      issuer: as.issuer,
    })
    : jwtVerifier({ issuer: as.issuer, audience: publicUrl });
  late.handler = createMcpHandler({
    name: "dpop-test",
    version: "1.0.0",
    tools: [whoami],
    http: { path },
    observe: { onError: () => {} },
    auth: {
      oauth: {
        resource: publicUrl,
        authorizationServers: [as.issuer],
        verifyAccessToken,
        dpop,
      },
    },
  });
  handlers.push(late.handler);
  return { url, resource: publicUrl };
}

/** POSTs `message` to `url` with `authorization` and, when given, a `DPoP` proof. */
async function post(
  url: string,
  message: unknown,
  authorization: string,
  proof?: string,
  sessionId?: string,
): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: {
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      authorization,
      ...(proof === undefined ? {} : { dpop: proof }),
      ...(sessionId === undefined
        ? {}
        : { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" }),
    },
    body: JSON.stringify(message),
  });
}

/** The status and challenge of `response` (its body read and dropped). */
async function outcome(response: Response) {
  await response.text();
  return { status: response.status, challenge: response.headers.get("www-authenticate") ?? "" };
}

describe("DPoP with oidc-provider's bound tokens, over HTTP", () => {
  it("accepts the bound token with proofs, refuses it as Bearer, refuses a replayed proof", async () => {
    const key = await proofKey();
    const { url, resource } = await instance({ mode: "allowed" });
    const token = await boundToken(key, resource);
    const proof = () => dpopProof(key, { htu: resource, token });
    const first = await proof();
    const opened = await post(url, initializeMessage(), `DPoP ${token}`, first);
    assert.equal(opened.status, 200, await opened.clone().text());
    const sessionId = opened.headers.get("mcp-session-id")!;
    await opened.text();
    const call = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami" } };
    const answer = await post(url, call, `DPoP ${token}`, await proof(), sessionId);
    assert.equal(answer.status, 200);
    const text = await answer.text();
    assert.match(text, /"text":"service"/, text);

    const asBearer = await outcome(await post(url, initializeMessage(), `Bearer ${token}`));
    assert.equal(asBearer.status, 401);
    assert.match(asBearer.challenge, /DPoP [^]*error="invalid_token"/);

    const replayed = await outcome(await post(url, initializeMessage(), `DPoP ${token}`, first));
    assert.equal(replayed.status, 401);
    assert.match(replayed.challenge, /error="invalid_dpop_proof"/);

    const stolen = await outcome(
      await post(
        url,
        initializeMessage(),
        `DPoP ${token}`,
        await dpopProof(await proofKey(), {
          htu: resource,
          token,
        }),
      ),
    );
    assert.equal(stolen.status, 401, "a proof by another key");
  });

  it("binds opaque tokens through the introspection answer's cnf", async () => {
    const key = await proofKey();
    const { url, resource } = await instance({ mode: "allowed" }, undefined, true);
    const token = await boundToken(key, resource);
    const proof = await dpopProof(key, { htu: resource, token });
    assert.equal(
      (await outcome(await post(url, initializeMessage(), `DPoP ${token}`, proof))).status,
      200,
    );
    const asBearer = await outcome(await post(url, initializeMessage(), `Bearer ${token}`));
    assert.equal(asBearer.status, 401);
    assert.match(asBearer.challenge, /error="invalid_token"/);
    const stolen = await dpopProof(await proofKey(), { htu: resource, token });
    assert.equal(
      (await outcome(await post(url, initializeMessage(), `DPoP ${token}`, stolen))).status,
      401,
    );
  });

  itRedis("a proof used on one instance is refused on another sharing Redis", async () => {
    const shared: RedisBackend[] = [];
    for (let i = 0; i < 2; i++) {
      const backend = await createRedisBackend({ url: redis!.url }, { prefix: "dpop-e2e:" });
      backends.push(backend);
      shared.push(backend);
    }
    const key = await proofKey();
    const a = await instance({ mode: "required", replayStore: shared[0].dpopReplayStore });
    // Behind one public URL: B's proofs name A's resource URL, as a load balancer's clients would.
    const b = await instance(
      { mode: "required", replayStore: shared[1].dpopReplayStore },
      a.resource,
    );
    const token = await boundToken(key, a.resource);
    const proof = await dpopProof(key, { htu: a.resource, token });
    assert.equal(
      (await outcome(await post(a.url, initializeMessage(), `DPoP ${token}`, proof))).status,
      200,
    );
    const onB = await outcome(await post(b.url, initializeMessage(), `DPoP ${token}`, proof));
    assert.equal(onB.status, 401);
    assert.match(onB.challenge, /error="invalid_dpop_proof"/);
    const fresh = await dpopProof(key, { htu: a.resource, token });
    assert.equal(
      (await outcome(await post(b.url, initializeMessage(), `DPoP ${token}`, fresh))).status,
      200,
    );
  });

  it("examples/everything.ts reads OAUTH_DPOP with OAUTH_ISSUER", async () => {
    assert.throws(
      () => createEverythingHandler({ OAUTH_ISSUER: as.issuer, OAUTH_DPOP: "sometimes" }),
      /OAUTH_DPOP must be allowed or required/,
    );
    const key = await proofKey();
    const token = await boundToken(key, ENDPOINT);
    const handler = createEverythingHandler({ OAUTH_ISSUER: as.issuer, OAUTH_DPOP: "required" });
    handlers.push(handler);
    const metadata = await handler(
      new Request("http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"),
    );
    assert.equal((await metadata.json()).dpop_bound_access_tokens_required, true);
    const asBearer = await outcome(
      await handler(
        postRequest(initializeMessage(), { headers: { authorization: `Bearer ${token}` } }),
      ),
    );
    assert.equal(asBearer.status, 401);
    assert.match(asBearer.challenge, /^DPoP /);
    const proof = await dpopProof(key, { htu: ENDPOINT, token });
    const accepted = await handler(postRequest(initializeMessage(), {
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    }));
    assert.equal(accepted.status, 200, await accepted.clone().text());
    await accepted.text();
  });
});
