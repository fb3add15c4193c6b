/**
 * The built-in upstream credentials through real parts: oidc-provider with
 * the RFC 8693 grant (credentials_authorization_server.ts) in a Node 24
 * child, SDK upstreams on loopback that record every Authorization header,
 * tether as the gateway verifying downstream JWTs (`oauth`), and official
 * SDK clients downstream holding tokens for the gateway. The upstream sees
 * an exchanged token (its audience, the user's subject), never the
 * downstream one; exchanges are cached per caller and shared in flight; a
 * refused exchange reads as the upstream being unavailable; client
 * credentials and static headers reach their upstreams; a forwarding
 * configuration is refused at startup.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import { jwtVerifier } from "../../../src/oauth/mod.ts";
import {
  clientCredentials,
  createGateway,
  type Gateway,
  httpUpstream,
  staticHeaders,
  tokenExchange,
} from "../../../src/gateway/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { connectClient, type SdkConnection, textOf } from "../interop/helpers.ts";
import {
  type CredentialsAuthorizationServer,
  REFUSAL_TEXT,
  startCredentialsAuthorizationServer,
} from "./credentials_authorization_server.ts";

const CLIENT = { clientId: "gateway", clientSecret: "gateway-secret" };

/** A tether upstream with one tool, recording every Authorization header it receives. */
interface RecordingUpstream {
  /** Its MCP endpoint. */
  url: string;
  /** Every Authorization header value received (empty string when absent). */
  authorizations: string[];
  /** Every X-Api-Key header value received (empty string when absent). */
  apiKeys: string[];
  close(): Promise<void>;
}

async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const authorizations: string[] = [];
  const apiKeys: string[] = [];
  const handler = createMcpHandler({
    name: "upstream",
    version: "1.0.0",
    tools: [defineTool({ name: "whoami", handler: () => "served" })],
  });
  const server = await serveHandler((request: Request) => {
    authorizations.push(request.headers.get("authorization") ?? "");
    apiKeys.push(request.headers.get("x-api-key") ?? "");
    return handler(request);
  }, 0);
  return { url: `${server.url}/mcp`, authorizations, apiKeys, close: () => server.close() };
}

let as: CredentialsAuthorizationServer;
let exchanged: RecordingUpstream;
let service: RecordingUpstream;
let keyed: RecordingUpstream;
let gateway: Gateway;
let running: RunningServer;
let url: string;
const connections: SdkConnection[] = [];
const downstreamTokens: string[] = [];

/** Connects an SDK client holding a fresh token of `user` for the gateway. */
async function connectAs(user: string): Promise<SdkConnection> {
  const token = await as.userToken(user, url);
  downstreamTokens.push(token);
  const connection = await connectClient(url, { token });
  connections.push(connection);
  return connection;
}

/** The claims of the bearer tokens `upstream` received for `sub`. */
function tokensOf(upstream: RecordingUpstream, sub: string) {
  return upstream.authorizations
    .filter((value) => value.startsWith("Bearer ey"))
    .map((value) => ({ token: value.slice(7), claims: decodeJwt(value.slice(7)) }))
    .filter(({ claims }) => claims.sub === sub);
}

describe("gateway credentials: token exchange, client credentials, static headers", () => {
  before(async () => {
    as = await startCredentialsAuthorizationServer();
    [exchanged, service, keyed] = await Promise.all([
      startRecordingUpstream(),
      startRecordingUpstream(),
      startRecordingUpstream(),
    ]);
    const made: { inner?: McpHandler } = {};
    running = await serveHandler((request: Request) => made.inner!(request), 0);
    url = `${running.url}/mcp`;
    const tokenEndpoint = as.tokenEndpoint;
    const exchangedUrl = exchanged.url;
    // The gateway's own token, sent as the actor: the exchanged token's `act` names it.
    const actor = await as.userToken("tether-gateway", `${as.issuer}/actor`);
    const discovery = clientCredentials({ ...CLIENT, tokenEndpoint, resource: exchangedUrl });
    gateway = await createGateway({
      upstreams: [
        httpUpstream({
          name: "exch",
          url: exchangedUrl,
          credentials: tokenExchange({
            ...CLIENT,
            tokenEndpoint,
            resource: exchangedUrl,
            scope: "mcp:read",
            gatewayResource: url,
            gatewayCredentials: discovery,
            actorToken: () => actor,
          }),
        }),
        // No gatewayResource: each exchange refuses the resource the caller's token is for.
        httpUpstream({
          name: "loop",
          url: exchangedUrl,
          credentials: tokenExchange({
            ...CLIENT,
            tokenEndpoint,
            resource: url,
            gatewayCredentials: discovery,
          }),
        }),
        httpUpstream({
          name: "svc",
          url: service.url,
          credentials: clientCredentials({
            ...CLIENT,
            tokenEndpoint,
            resource: service.url,
            scope: "mcp:admin",
          }),
        }),
        httpUpstream({
          name: "key",
          url: keyed.url,
          credentials: staticHeaders({ "x-api-key": "k-123" }),
        }),
      ],
      graceMs: 1_000,
    });
    made.inner = createMcpHandler({
      name: "gateway",
      version: "1.0.0",
      ...gateway.definitions(),
      auth: {
        oauth: {
          resource: url,
          authorizationServers: [as.issuer],
          verifyAccessToken: jwtVerifier({ issuer: as.issuer, audience: url }),
        },
      },
    });
    gateway.attach(made.inner);
  });

  after(async () => {
    for (const connection of connections) await connection.close();
    await running?.close();
    await gateway?.close({ graceMs: 0 });
    await Promise.all([exchanged, service, keyed].map((upstream) => upstream?.close()));
    await as?.stop();
  });

  it("the upstream sees a token exchanged for the user, never the downstream token", async () => {
    const before = await as.exchanges();
    const alice = await connectAs("alice");
    const result = await alice.client.callTool({ name: "exch_whoami", arguments: {} });
    assert.notEqual(result.isError, true, JSON.stringify(result));
    const seen = tokensOf(exchanged, "alice");
    assert.ok(seen.length > 0, "the upstream received alice's exchanged token");
    for (const { token, claims } of seen) {
      assert.equal(claims.aud, exchanged.url);
      assert.equal(claims.scope, "mcp:read");
      assert.deepEqual(claims.act, { sub: "tether-gateway" });
      assert.ok(!downstreamTokens.includes(token));
    }
    for (const upstream of [exchanged, service, keyed]) {
      for (const token of downstreamTokens) {
        assert.ok(!upstream.authorizations.includes(`Bearer ${token}`));
      }
    }
    assert.equal(await as.exchanges(), before + 1);
  });

  it("a second upstream session of the same user reuses the exchanged token", async () => {
    const before = await as.exchanges();
    const again = await connectAs("alice");
    const result = await again.client.callTool({ name: "exch_whoami", arguments: {} });
    assert.notEqual(result.isError, true, JSON.stringify(result));
    assert.equal(await as.exchanges(), before, "no new exchange");
    assert.equal(new Set(tokensOf(exchanged, "alice").map(({ token }) => token)).size, 1);
  });

  it("two concurrent first calls of a user make one exchange", async () => {
    const before = await as.exchanges();
    const [one, two] = await Promise.all([connectAs("bob"), connectAs("bob")]);
    const results = await Promise.all(
      [one, two].map((c) => c.client.callTool({ name: "exch_whoami", arguments: {} })),
    );
    for (const result of results) assert.notEqual(result.isError, true, JSON.stringify(result));
    assert.equal(await as.exchanges(), before + 1);
    assert.equal(new Set(tokensOf(exchanged, "bob").map(({ token }) => token)).size, 1);
  });

  it("client credentials and static headers reach their upstreams", async () => {
    const carol = await connectAs("carol");
    for (const name of ["svc_whoami", "key_whoami"]) {
      const result = await carol.client.callTool({ name, arguments: {} });
      assert.notEqual(result.isError, true, JSON.stringify(result));
    }
    const serviceTokens = service.authorizations.filter((value) => value !== "");
    assert.ok(serviceTokens.length > 0);
    for (const value of serviceTokens) {
      const claims = decodeJwt(value.replace(/^Bearer /, ""));
      assert.equal(claims.aud, service.url);
      assert.equal(claims.client_id, "gateway");
    }
    assert.equal(new Set(serviceTokens).size, 1, "one client-credentials token, kept");
    assert.ok(keyed.authorizations.length > 0);
    assert.ok(keyed.authorizations.every((value) => value === ""));
    assert.ok(keyed.apiKeys.every((value) => value === "k-123"));
  });

  it("an exchange for the resource the caller's token is for is refused", async () => {
    const before = await as.exchanges();
    const dave = await connectAs("dave");
    const result = await dave.client.callTool({ name: "loop_whoami", arguments: {} });
    assert.equal(result.isError, true);
    assert.equal(textOf(result), 'Upstream "loop" is unavailable');
    assert.equal(await as.exchanges(), before);
  });

  it("a forwarding configuration is refused at startup", () => {
    assert.throws(
      () =>
        tokenExchange({
          ...CLIENT,
          tokenEndpoint: as.tokenEndpoint,
          audience: url,
          gatewayResource: url,
        }),
      (error) => error instanceof TypeError && /Option audience/.test(error.message),
    );
  });

  it("a refused exchange reads as the upstream being unavailable, with no text of it", async () => {
    await as.refuse();
    const erin = await connectAs("erin");
    const result = await erin.client.callTool({ name: "exch_whoami", arguments: {} });
    assert.equal(result.isError, true);
    assert.equal(textOf(result), 'Upstream "exch" is unavailable');
    assert.ok(!JSON.stringify(result).includes(REFUSAL_TEXT));
    assert.equal(tokensOf(exchanged, "erin").length, 0);
  });
});
