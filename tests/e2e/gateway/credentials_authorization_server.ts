/**
 * A real authorization server for the upstream credentials tests:
 * oidc-provider on a free loopback port in a Node 24 child process (this
 * file is both the child, run with CREDENTIALS_AS_CHILD=1, and what starts
 * it), as tests/e2e/oauth/authorization_server.ts, with the RFC 8693 token
 * exchange grant registered. The client `gateway` (secret `gateway-secret`,
 * client_secret_basic) may use it and client credentials. The exchange
 * verifies the subject token (a JWT this server signed, not expired) and
 * issues a JWT access token for the asked resource or audience, with the
 * subject's `sub` and, given an actor token, an `act` claim. Test routes:
 * `POST /test/user?sub=&aud=` signs a user's access token (what a client
 * would get by authorization code), `GET /test/exchanges` counts the
 * exchanges granted, `POST /test/refuse` makes every exchange fail.
 * On stdout, once listening: one JSON line `{ "issuer": ... }`.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { within } from "../../helpers.ts";

const ROOT = join(import.meta.dirname!, "..", "..", "..");
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
/** What a refusal says: the tests check it never reaches a client. */
export const REFUSAL_TEXT = "as-internal-detail-7f3a";

/** A running authorization server. */
export interface CredentialsAuthorizationServer {
  /** Its issuer URL, e.g. `http://127.0.0.1:40123`. */
  issuer: string;
  /** Its token endpoint. */
  tokenEndpoint: string;
  /** An access token of user `sub` for `audience`, as a client would hold. */
  userToken(sub: string, audience: string): Promise<string>;
  /** Token exchanges granted so far. */
  exchanges(): Promise<number>;
  /** Makes every later exchange fail (`invalid_grant`). */
  refuse(): Promise<void>;
  /** Ends the child process. */
  stop(): Promise<void>;
}

/** Starts the authorization server; resolves once it listens. */
export async function startCredentialsAuthorizationServer(): Promise<
  CredentialsAuthorizationServer
> {
  const child: ChildProcess = spawn(
    join(ROOT, "node_modules", "node24", "bin", "node"),
    [join(ROOT, "tests", "e2e", "gateway", "credentials_authorization_server.ts")],
    {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, CREDENTIALS_AS_CHILD: "1" },
    },
  );
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    const kept = chunk.split("\n").filter((line) => line !== "" && !line.includes("WARNING"));
    if (kept.length > 0) process.stderr.write(`${kept.join("\n")}\n`);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<{ issuer: string }>((resolve, reject) => {
    let buffered = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      buffered += chunk;
      for (const line of buffered.split("\n")) {
        if (line.startsWith('{"issuer"')) resolve(JSON.parse(line));
      }
    });
    child.once("exit", (code) => reject(new Error(`authorization server exited (${code})`)));
  });
  let issuer: string;
  try {
    // A loaded machine starts oidc-provider slowly; a child left running would keep the test
    // process alive after the failure (its pipes), so it is killed with it.
    ({ issuer } = await within(ready, 60_000, "the authorization server to listen"));
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    async userToken(sub, audience) {
      const query = new URLSearchParams({ sub, aud: audience });
      const response = await fetch(`${issuer}/test/user?${query}`, { method: "POST" });
      return await response.text();
    },
    async exchanges() {
      return Number(await (await fetch(`${issuer}/test/exchanges`)).text());
    },
    async refuse() {
      await (await fetch(`${issuer}/test/refuse`, { method: "POST" })).text();
    },
    async stop() {
      child.stdin!.end();
      await within(exited, 10_000, "the authorization server to exit");
    },
  };
}

/** The child: oidc-provider with the token exchange grant. */
async function serve(): Promise<void> {
  const { createServer } = await import("node:http");
  const { exportJWK, generateKeyPair, jwtVerify, SignJWT } = await import("jose");
  const { default: Provider, errors } = await import("oidc-provider");
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = crypto.randomUUID();
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  let exchanges = 0;
  let refusing = false;
  let issuer = "";

  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ ...claims, client_id: "gateway", jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(privateKey);

  const verifySubject = async (token: string) => {
    const { payload } = await jwtVerify(token, publicKey, { issuer });
    if (typeof payload.sub !== "string") throw new Error("no sub");
    return payload;
  };

  // deno-lint-ignore no-explicit-any
  const exchange = async (ctx: any) => {
    const params = ctx.oidc.params;
    if (refusing) throw new errors.InvalidGrant(`refused: ${REFUSAL_TEXT}`);
    if (params.subject_token_type !== ACCESS_TOKEN) {
      throw new errors.InvalidRequest("unsupported subject_token_type");
    }
    let subject;
    try {
      subject = await verifySubject(params.subject_token);
    } catch {
      throw new errors.InvalidGrant("subject token invalid");
    }
    const audience = params.resource ?? params.audience;
    // Lax on purpose: it would mint a token for the subject token's own audience, so the
    // tests see tether refuse that exchange itself.
    if (typeof audience !== "string") throw new errors.InvalidTarget("no audience");
    const claims: Record<string, unknown> = { sub: subject.sub, aud: audience };
    if (typeof params.scope === "string") claims.scope = params.scope;
    if (typeof params.actor_token === "string") {
      claims.act = { sub: (await verifySubject(params.actor_token)).sub };
    }
    exchanges++;
    ctx.body = {
      access_token: await sign(claims),
      issued_token_type: ACCESS_TOKEN,
      token_type: "Bearer",
      expires_in: 600,
    };
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", issuer);
    if (url.pathname === "/test/user" && req.method === "POST") {
      const claims = { sub: url.searchParams.get("sub"), aud: url.searchParams.get("aud") };
      void sign(claims).then((token) => res.writeHead(200).end(token));
      return;
    }
    if (url.pathname === "/test/exchanges") return void res.writeHead(200).end(String(exchanges));
    if (url.pathname === "/test/refuse" && req.method === "POST") {
      refusing = true;
      return void res.writeHead(204).end();
    }
    provider.callback()(req, res);
  });
  let provider: InstanceType<typeof Provider>;
  server.listen(0, "127.0.0.1", () => {
    issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    provider = new Provider(issuer, {
      clients: [{
        client_id: "gateway",
        client_secret: "gateway-secret",
        grant_types: [TOKEN_EXCHANGE, "client_credentials"],
        response_types: [],
        redirect_uris: [],
        scope: "mcp:read mcp:admin",
      }],
      jwks: { keys: [jwk] },
      scopes: ["mcp:read", "mcp:admin"],
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string) => oneOf,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => {
            if (!resource.startsWith("http://127.0.0.1")) throw new errors.InvalidTarget();
            return {
              scope: "mcp:read mcp:admin",
              audience: resource,
              accessTokenFormat: "jwt",
              accessTokenTTL: 600,
              jwt: { sign: { alg: "RS256" } },
            };
          },
        },
      },
    });
    provider.registerGrantType(TOKEN_EXCHANGE, exchange, [
      "subject_token",
      "subject_token_type",
      "actor_token",
      "actor_token_type",
      "requested_token_type",
      "audience",
      "resource",
      "scope",
    ]);
    process.stdout.write(`${JSON.stringify({ issuer })}\n`);
  });
  process.stdin.on("end", () => server.close(() => process.exit(0)));
  process.stdin.resume();
}

if (process.env.CREDENTIALS_AS_CHILD === "1") await serve();
