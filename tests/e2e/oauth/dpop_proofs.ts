/**
 * DPoP proofs for the tests, signed with `jose` as a client would sign
 * them (RFC 9449 §4.2): a key pair with its public JWK and thumbprint, and
 * a proof for a method, URL and access token, with every claim and header
 * overridable so a test can break exactly one; and a handler that requires
 * DPoP with a given replay store, for the shared stores' tests.
 */

import {
  base64url,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from "jose";
import assert from "node:assert/strict";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import type { DpopReplayStore } from "../../../src/storage/mod.ts";
import { ENDPOINT, initializeMessage, postRequest } from "../../helpers.ts";

/** A client's proof key. */
export interface ProofKey {
  alg: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
  /** The public key, as the proof's header carries it. */
  jwk: JWK;
  /** Its RFC 7638 thumbprint: a bound token's `cnf.jkt`. */
  jkt: string;
}

/** A fresh key pair for `alg`. */
export async function proofKey(alg = "ES256"): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** base64url(SHA-256(token)): the proof's `ath`. */
export async function athOf(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return base64url.encode(new Uint8Array(digest));
}

/** What a proof says; each field overrides the good value. */
export interface ProofClaims {
  htm?: string;
  htu: string;
  /** The token `ath` hashes; `ath` overrides the hash itself. */
  token?: string;
  ath?: string;
  iat?: number;
  jti?: string;
  nonce?: string;
  typ?: string;
  /** The header's `jwk` (another key's, to break the binding or the signature). */
  jwk?: JWK;
}

/** A proof signed by `key`. */
export async function dpopProof(key: ProofKey, claims: ProofClaims): Promise<string> {
  const payload: Record<string, unknown> = {
    htm: claims.htm ?? "POST",
    htu: claims.htu,
    jti: claims.jti ?? crypto.randomUUID(),
  };
  if (claims.token !== undefined || claims.ath !== undefined) {
    payload.ath = claims.ath ?? await athOf(claims.token!);
  }
  if (claims.nonce !== undefined) payload.nonce = claims.nonce;
  return await new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, typ: claims.typ ?? "dpop+jwt", jwk: claims.jwk ?? key.jwk })
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}

/** An unsigned proof (`alg: none`) with `payload`. */
export function unsignedProof(jwk: JWK, payload: Record<string, unknown>): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: "none", typ: "dpop+jwt", jwk })}.${encode(payload)}.AA`;
}

/** A proof MACed with a shared secret (`HS256`), which a proof may never be. */
export async function hmacProof(jwk: JWK, payload: Record<string, unknown>): Promise<string> {
  return await new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", typ: "dpop+jwt", jwk })
    .setIssuedAt()
    .sign(new TextEncoder().encode("a shared secret of thirty-two bytes!"));
}

/**
 * A handler at `ENDPOINT` requiring DPoP, whose one valid access token, `bound`, is bound to
 * `key`, its used proofs held in `replayStore`.
 */
export function dpopBoundHandler(replayStore: DpopReplayStore, key: ProofKey): McpHandler {
  return createMcpHandler({
    name: "dpop-shared",
    version: "1.0.0",
    tools: [defineTool({ name: "whoami", handler: (_input, ctx) => ctx.principal.id })],
    observe: { onError: () => {} },
    auth: {
      oauth: {
        resource: ENDPOINT,
        authorizationServers: ["https://auth.example.com"],
        verifyAccessToken: (token) =>
          token === "bound"
            ? { id: "alice", scopes: [], claims: { sub: "alice", cnf: { jkt: key.jkt } } }
            : null,
        dpop: { mode: "required", replayStore },
      },
    },
  });
}

/**
 * A token of the client `service` of the authorization server at `issuer`
 * (authorization_server_process.ts) for `resource`, bound to `key`: the
 * token request carries a proof.
 */
export async function boundToken(issuer: string, key: ProofKey, resource: string): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa("service:service-secret")}`,
      "content-type": "application/x-www-form-urlencoded",
      dpop: await dpopProof(key, { htu: `${issuer}/token` }),
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource, scope: "mcp:read" }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.token_type !== "DPoP") {
    throw new Error(`no DPoP-bound token: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

/** `handler`'s answer to an initialize with `token` and `proof`, read whole. */
async function sendProof(handler: McpHandler, token: string, proof: string): Promise<Response> {
  const response = await handler(postRequest(initializeMessage(), {
    headers: { authorization: `DPoP ${token}`, dpop: proof },
  }));
  await response.text();
  return response;
}

/**
 * Asserts that two instances `a` and `b` of one deployment (DPoP required, resource
 * {@linkcode ENDPOINT}) share their replay store, both ways: a proof served on one is refused on
 * the other (`401`, "the proof was used before"), and a fresh proof is served there. Tokens come
 * from the authorization server at `issuer`.
 */
export async function assertProofOncePerDeployment(
  a: McpHandler,
  b: McpHandler,
  issuer: string,
): Promise<void> {
  const key = await proofKey();
  const token = await boundToken(issuer, key, ENDPOINT);
  const proof = () => dpopProof(key, { htu: ENDPOINT, token });
  for (const [first, second] of [[a, b], [b, a]]) {
    const once = await proof();
    assert.equal((await sendProof(first, token, once)).status, 200);
    const replayed = await sendProof(second, token, once);
    assert.equal(replayed.status, 401, "the other instance refuses the proof");
    assert.match(replayed.headers.get("www-authenticate") ?? "", /the proof was used before/);
    const fresh = await sendProof(second, token, await proof());
    assert.equal(fresh.status, 200, "a fresh one is served");
  }
}
