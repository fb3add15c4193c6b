/**
 * A minimal authorization server for two issuers on one loopback port (the
 * OAuth tests' second harness beside oidc-provider): `<origin>/a` and
 * `<origin>/b`, each with its RFC 8414 metadata and its own JWKS of
 * jose-made RS256 keys, served by node:http on every runtime. It signs any
 * claims with an issuer's current key, rotates a key (the new one signs,
 * the old one stays published) and counts the requests to each path.
 * Not a test file itself.
 * @module
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/** A signing key as jose makes it (its CryptoKey type, whichever runtime's types are loaded). */
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
import { within } from "../../helpers.ts";

/** One issuer of the server. */
interface Issuer {
  /** Its issuer URL. */
  url: string;
  /** Its private keys, newest first (all published). */
  keys: { privateKey: PrivateKey; jwk: JWK }[];
}

/** The running two-issuer server. */
export interface TwoIssuers {
  /** The issuer URLs, `<origin>/a` and `<origin>/b`. */
  a: string;
  b: string;
  /** How many requests each path got (`/a/jwks`, `/.well-known/oauth-authorization-server/a`, ...). */
  hits: Map<string, number>;
  /** A token of `issuer` (its `iss` unless `claims` says otherwise) signed with its newest key. */
  sign(issuer: string, claims: Record<string, unknown>): Promise<string>;
  /** A new newest key for `issuer`; the old ones stay published. */
  rotate(issuer: string): Promise<void>;
  /** Stops the server. */
  stop(): Promise<void>;
}

async function newKey(): Promise<{ privateKey: PrivateKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = {
    ...(await exportJWK(publicKey)),
    kid: crypto.randomUUID(),
    alg: "RS256",
    use: "sig",
  };
  return { privateKey, jwk };
}

/** Starts the server on a free loopback port. */
export async function startTwoIssuers(): Promise<TwoIssuers> {
  const issuers = new Map<string, Issuer>();
  const hits = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = request.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const name = /^\/\.well-known\/oauth-authorization-server\/(a|b)$/.exec(path)?.[1] ??
      /^\/(a|b)\/jwks$/.exec(path)?.[1];
    const issuer = name === undefined ? undefined : issuers.get(name);
    if (issuer === undefined) return void response.writeHead(404).end();
    const body = path.endsWith("/jwks")
      ? { keys: issuer.keys.map((key) => key.jwk) }
      : { issuer: issuer.url, jwks_uri: `${issuer.url}/jwks` };
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await within(
    new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)),
    5_000,
    "the two-issuer server to listen",
  );
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const name of ["a", "b"]) {
    issuers.set(name, { url: `${origin}/${name}`, keys: [await newKey()] });
  }
  const issuerOf = (url: string): Issuer => {
    const found = [...issuers.values()].find((issuer) => issuer.url === url);
    if (found === undefined) throw new Error(`no issuer ${url}`);
    return found;
  };
  return {
    a: `${origin}/a`,
    b: `${origin}/b`,
    hits,
    async sign(issuer, claims) {
      const { privateKey, jwk } = issuerOf(issuer).keys[0];
      return await new SignJWT({ iss: issuer, ...claims })
        .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid: jwk.kid })
        .sign(privateKey);
    },
    async rotate(issuer) {
      issuerOf(issuer).keys.unshift(await newKey());
    },
    async stop() {
      server.closeAllConnections?.();
      await within(
        new Promise<void>((resolve) => server.close(() => resolve())),
        5_000,
        "the two-issuer server to close",
      );
    },
  };
}
