/**
 * A real OAuth 2.1 / OpenID Connect authorization server for the OAuth
 * tests: oidc-provider (OpenID certified) on a free loopback port, always
 * run in a Node 24 child process (tests/e2e/oauth/authorization_server_process.ts
 * starts it) so the tests run the same on every runtime, whatever
 * oidc-provider's Koa stack needs.
 *
 * It issues JWT access tokens (RFC 9068) for any `http://127.0.0.1` resource
 * indicator (RFC 8707), opaque ones for a resource ending in `/opaque`, by
 * client credentials or by authorization code with PKCE (dynamic client
 * registration on; the login and consent interactions answer at once for
 * the user `alice`, with every scope asked for; a registered client is not
 * bound to the scopes it registered with). Test-only routes beside
 * oidc-provider's: `POST /test/rotate` replaces the signing key (the old
 * one is still published, second) and answers the new private key.
 * On stdout, once listening: one JSON line `{ issuer, privateJwk }`.
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider from "oidc-provider";

const SCOPES = "mcp:read mcp:admin";

/** The static clients: two by client credentials (all scopes, read only) and the resource server's own for introspection. */
const CLIENTS = [
  {
    client_id: "service",
    client_secret: "service-secret",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    scope: SCOPES,
  },
  {
    client_id: "reader",
    client_secret: "reader-secret",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    scope: "mcp:read",
  },
  {
    client_id: "resource-server",
    client_secret: "resource-server-secret",
    grant_types: [],
    response_types: [],
    redirect_uris: [],
  },
];

async function newKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: crypto.randomUUID(), alg: "RS256", use: "sig" };
}

function createProvider(issuer: string, keys: JWK[]): Provider {
  const provider = new Provider(issuer, {
    clients: CLIENTS,
    jwks: { keys },
    scopes: ["openid", "offline_access", "mcp:read", "mcp:admin"],
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    cookies: { keys: ["test-cookie-key"] },
    // A registered client may later ask for any scope the API has, as at hosted authorization
    // servers where an API's scopes, not the client's registration, bound what it gets: a
    // step-up after a 403 can then ask for more than the client registered with.
    extraClientMetadata: {
      properties: ["software_id"],
      validator: (
        ctx: { oidc?: { route?: string } } | undefined,
        _key: string,
        _value: unknown,
        metadata: { scope?: string },
      ) => {
        if (ctx?.oidc?.route === "registration") delete metadata.scope;
      },
    },
    pkce: { required: () => true },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string) => oneOf,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!resource.startsWith("http://127.0.0.1")) {
            throw new Error(`unknown resource ${resource}`);
          }
          return resource.endsWith("/opaque")
            ? {
              scope: SCOPES,
              audience: resource,
              accessTokenFormat: "opaque",
              accessTokenTTL: 600,
            }
            : {
              scope: SCOPES,
              audience: resource,
              accessTokenFormat: "jwt",
              accessTokenTTL: 600,
              jwt: { sign: { alg: "RS256" } },
            };
        },
      },
    },
  });
  return provider;
}

/** Finishes an interaction as the user `alice`, granting what the client asked for. */
async function interact(provider: Provider, req: IncomingMessage, res: ServerResponse) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  if (prompt.name === "login") {
    await provider.interactionFinished(req, res, { login: { accountId: "alice" } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }
  const grant = new provider.Grant({
    accountId: details.session!.accountId,
    clientId: params.client_id as string,
  });
  const missing = prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(" "));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, {
    mergeWithLastSubmission: true,
  });
}

let provider: Provider | undefined;
let keys: JWK[] = [];
const server = createServer((req, res) => {
  if (provider === undefined) return void res.writeHead(503).end();
  const current = provider;
  if (req.method === "POST" && req.url === "/test/rotate") {
    void newKey().then((key) => {
      keys = [key, keys[0]];
      provider = createProvider(current.issuer, keys);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(key));
    });
    return;
  }
  if (req.url?.startsWith("/interaction/")) {
    interact(current, req, res).catch((error) => {
      res.writeHead(500).end(String(error));
    });
    return;
  }
  current.callback()(req, res);
});
server.listen(0, "127.0.0.1", async () => {
  const { port } = server.address() as { port: number };
  const issuer = `http://127.0.0.1:${port}`;
  keys = [await newKey()];
  provider = createProvider(issuer, keys);
  process.stdout.write(`${JSON.stringify({ issuer, privateJwk: keys[0] })}\n`);
});
process.stdin.on("end", () => server.close(() => process.exit(0)));
process.stdin.resume();
