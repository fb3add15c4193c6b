/**
 * Starts tests/e2e/oauth/authorization_server.ts (oidc-provider) in a Node 24
 * child process on a free loopback port, whatever runtime runs the test, and
 * gives the test what it needs from it: its issuer, a token by client
 * credentials, its current private key (to sign tokens it would never
 * issue: expired, for another audience, from another issuer) and a key
 * rotation. `stop()` ends the child (closing its stdin) and waits for it.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { importJWK, type JWK, SignJWT } from "jose";
import { within } from "../../helpers.ts";

const ROOT = join(import.meta.dirname!, "..", "..", "..");

/** A running authorization server. */
export interface AuthorizationServer {
  /** Its issuer URL, e.g. `http://127.0.0.1:40123`. */
  issuer: string;
  /** The private key it signs access tokens with now. */
  privateJwk: JWK;
  /** A token by client credentials (`service`: all scopes; `reader`: mcp:read) for `resource`. */
  clientCredentials(
    client: "service" | "reader",
    resource: string,
    scope?: string,
  ): Promise<string>;
  /** Replaces its signing key (the old one is still published); the new key becomes `privateJwk`. */
  rotate(): Promise<void>;
  /** Ends the child process. */
  stop(): Promise<void>;
}

const SECRETS = { service: "service-secret", reader: "reader-secret" };

/** Starts the authorization server; resolves once it listens. */
export async function startAuthorizationServer(): Promise<AuthorizationServer> {
  const child: ChildProcess = spawn(
    join(ROOT, "node_modules", "node24", "bin", "node"),
    [join(ROOT, "tests", "e2e", "oauth", "authorization_server.ts")],
    { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] },
  );
  // Pass its errors on, but not oidc-provider's warning about its development-only store.
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    const kept = chunk.split("\n").filter((line) => line !== "" && !line.includes("WARNING"));
    if (kept.length > 0) process.stderr.write(`${kept.join("\n")}\n`);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<{ issuer: string; privateJwk: JWK }>((resolve, reject) => {
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
  let started: { issuer: string; privateJwk: JWK };
  try {
    started = await within(ready, 20_000, "the authorization server to listen");
  } catch (error) {
    // A child that never listened would keep the test process alive: end it.
    child.kill();
    throw error;
  }
  const server: AuthorizationServer = {
    issuer: started.issuer,
    privateJwk: started.privateJwk,
    async clientCredentials(client, resource, scope = "mcp:read mcp:admin") {
      const response = await fetch(`${started.issuer}/token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa(`${client}:${SECRETS[client]}`)}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "client_credentials", resource, scope }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(`token endpoint: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async rotate() {
      const response = await fetch(`${started.issuer}/test/rotate`, { method: "POST" });
      server.privateJwk = await response.json();
    },
    async stop() {
      child.stdin!.end();
      await within(exited, 10_000, "the authorization server to exit");
    },
  };
  return server;
}

/** Signs a JWT access token with `jwk` (its `kid` in the header) and the given claims. */
export async function signToken(jwk: JWK, claims: Record<string, unknown>): Promise<string> {
  const key = await importJWK(jwk, "RS256");
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: jwk.kid })
    .sign(key);
}
