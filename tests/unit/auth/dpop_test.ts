/**
 * The `oauth.dpop` option with a verifier of the test's own and proofs
 * signed with jose: each check of a proof (RFC 9449 §4.3) refuses with the
 * 401 and `WWW-Authenticate` it must, the token's binding (`cnf.jkt`), the
 * replay cache and its bound, server nonces, bearer tokens beside DPoP, the
 * metadata, and refusals reported once per cause without the token or proof.
 */

import { describe, it } from "node:test";
import { exportJWK } from "jose";
import assert from "node:assert/strict";
import type { DpopOptions, McpHandler, TokenPrincipal } from "../../../mod.ts";
import { defineTool } from "../../../mod.ts";
import { MemoryDpopReplayStore } from "../../../src/storage/mod.ts";
import { ENDPOINT, initializeMessage, makeHandler, postRequest } from "../../helpers.ts";
import {
  dpopProof,
  hmacProof,
  type ProofClaims,
  type ProofKey,
  proofKey,
  unsignedProof,
} from "../../e2e/oauth/dpop_proofs.ts";

const NOW = 1_800_000_000_000;
const IAT = NOW / 1000;
const METADATA = "http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp";

const whoami = defineTool({
  name: "whoami",
  handler: (_input, ctx) => String(ctx.principal.id),
});

/** A handler whose verifier knows `bound` (bound to `key`) and `plain` (a bearer token). */
function dpopHandler(
  key: ProofKey,
  dpop: Partial<DpopOptions> = {},
  onError?: (e: unknown) => void,
) {
  const verifyAccessToken = (token: string): TokenPrincipal | null => {
    if (token === "bound") {
      return { id: "alice", scopes: [], claims: { sub: "alice", cnf: { jkt: key.jkt } } };
    }
    if (token === "plain") return { id: "bob", scopes: [], claims: { sub: "bob" } };
    return null;
  };
  return makeHandler({
    tools: [whoami],
    auth: {
      oauth: {
        resource: ENDPOINT,
        authorizationServers: ["https://auth.example.com"],
        verifyAccessToken,
        dpop: { mode: "allowed", now: () => NOW, ...dpop },
      },
    },
    ...(onError === undefined ? {} : { observe: { onError } }),
  });
}

/** An initialize POST with `authorization` and, when given, a `DPoP` header. */
function call(handler: McpHandler, authorization: string | undefined, proof?: string) {
  return handler(postRequest(initializeMessage(), {
    headers: { authorization, ...(proof === undefined ? {} : { dpop: proof }) },
  }));
}

/** A proof of `key` for the initialize POST with the `bound` token, at NOW. */
function proof(key: ProofKey, claims: Partial<ProofClaims> = {}) {
  return dpopProof(key, { htu: ENDPOINT, token: "bound", iat: IAT, ...claims });
}

/** Asserts a DPoP 401 with `error` (none: no error parameter) and returns the header. */
async function assertRefused(response: Response, error: string | undefined): Promise<string> {
  const body = await response.text();
  assert.equal(response.status, 401, body);
  const header = response.headers.get("www-authenticate") ?? "";
  const dpop = header.slice(header.indexOf("DPoP "));
  assert.match(dpop, /^DPoP /, header);
  assert.match(dpop, /algs="ES256 EdDSA RS256 PS256"|algs="ES256"/);
  assert.match(dpop, new RegExp(`resource_metadata="${METADATA}"`));
  if (error === undefined) assert.doesNotMatch(dpop, /error=/);
  else assert.match(dpop, new RegExp(`error="${error}"`), header);
  return header;
}

describe("DPoP proofs on the protected resource", () => {
  it("accepts a good proof with its bound token, and gives the token's principal", async () => {
    const key = await proofKey();
    const handler = dpopHandler(key);
    const response = await call(handler, "DPoP bound", await proof(key));
    assert.equal(response.status, 200, await response.clone().text());
  });

  it("accepts each default algorithm", async () => {
    for (const alg of ["ES256", "EdDSA", "RS256", "PS256"]) {
      const key = await proofKey(alg);
      const response = await call(dpopHandler(key), "DPoP bound", await proof(key));
      assert.equal(response.status, 200, alg);
    }
  });

  it("refuses a proof whose typ is not dpop+jwt", async () => {
    const key = await proofKey();
    const header = await assertRefused(
      await call(dpopHandler(key), "DPoP bound", await proof(key, { typ: "JWT" })),
      "invalid_dpop_proof",
    );
    assert.match(header, /error_description="typ is not dpop\+jwt"/);
  });

  it("refuses an algorithm not allowed, none and HS256", async () => {
    const key = await proofKey("EdDSA");
    const handler = dpopHandler(key, { algorithms: ["ES256"] });
    await assertRefused(await call(handler, "DPoP bound", await proof(key)), "invalid_dpop_proof");
    const es = await proofKey();
    const payload = { htm: "POST", htu: ENDPOINT, jti: "j", iat: IAT };
    const esHandler = dpopHandler(es);
    await assertRefused(
      await call(esHandler, "DPoP bound", unsignedProof(es.jwk, payload)),
      "invalid_dpop_proof",
    );
    await assertRefused(
      await call(esHandler, "DPoP bound", await hmacProof(es.jwk, payload)),
      "invalid_dpop_proof",
    );
    assert.throws(() => dpopHandler(es, { algorithms: ["HS256"] }), /oauth\.dpop\.algorithms/);
  });

  it("refuses a proof whose header carries a private key", async () => {
    const key = await proofKey();
    const privateJwk = await exportJWK(key.privateKey);
    const header = await assertRefused(
      await call(dpopHandler(key), "DPoP bound", await proof(key, { jwk: privateJwk })),
      "invalid_dpop_proof",
    );
    assert.match(header, /jwk is not a public key/);
  });

  it("refuses a proof signed by a key other than its header's", async () => {
    const key = await proofKey();
    const other = await proofKey();
    await assertRefused(
      await call(dpopHandler(key), "DPoP bound", await proof(other, { jwk: key.jwk })),
      "invalid_dpop_proof",
    );
  });

  it("matches htm and htu to the request, htu without query or fragment, any case of scheme and host", async () => {
    const key = await proofKey();
    const handler = dpopHandler(key);
    await assertRefused(
      await call(handler, "DPoP bound", await proof(key, { htm: "GET" })),
      "invalid_dpop_proof",
    );
    for (
      const htu of [
        "http://127.0.0.1:8787/other",
        "http://127.0.0.2:8787/mcp",
        "https://127.0.0.1:8787/mcp",
        "http://u:p@127.0.0.1:8787/mcp",
        "http://@127.0.0.1:8787/mcp",
        " http://127.0.0.1:8787/mcp",
        "http://127.0.0.1:8787/mcp ",
        "http://127.0.0.1:8787/mcp\n",
      ]
    ) {
      await assertRefused(
        await call(handler, "DPoP bound", await proof(key, { htu })),
        "invalid_dpop_proof",
      );
    }
    const loose = await proof(key, { htu: "HTTP://127.0.0.1:8787/mcp?x=1#part" });
    assert.equal((await call(handler, "DPoP bound", loose)).status, 200);
  });

  it("refuses an iat older than the window or ahead of the skew", async () => {
    const key = await proofKey();
    const handler = dpopHandler(key);
    await assertRefused(
      await call(handler, "DPoP bound", await proof(key, { iat: IAT - 61 })),
      "invalid_dpop_proof",
    );
    await assertRefused(
      await call(handler, "DPoP bound", await proof(key, { iat: IAT + 6 })),
      "invalid_dpop_proof",
    );
    assert.equal(
      (await call(handler, "DPoP bound", await proof(key, { iat: IAT - 59 }))).status,
      200,
    );
    assert.equal(
      (await call(handler, "DPoP bound", await proof(key, { iat: IAT + 4 }))).status,
      200,
    );
  });

  it("refuses an ath that is not the hash of the token sent", async () => {
    const key = await proofKey();
    await assertRefused(
      await call(dpopHandler(key), "DPoP bound", await proof(key, { token: "another" })),
      "invalid_dpop_proof",
    );
  });

  it("refuses a proof by a key other than the one the token is bound to", async () => {
    const key = await proofKey();
    const other = await proofKey();
    const header = await assertRefused(
      await call(dpopHandler(key), "DPoP bound", await proof(other)),
      "invalid_dpop_proof",
    );
    assert.match(header, /the proof key is not the key the token is bound to/);
  });

  it("refuses a missing proof, two proofs, and a token that is not DPoP-bound", async () => {
    const key = await proofKey();
    const handler = dpopHandler(key);
    await assertRefused(await call(handler, "DPoP bound"), "invalid_dpop_proof");
    const good = await proof(key);
    const twice = await assertRefused(
      await call(handler, "DPoP bound", `${good}, ${good}`),
      "invalid_dpop_proof",
    );
    assert.match(twice, /more than one DPoP proof/);
    await assertRefused(
      await call(handler, "DPoP plain", await proof(key, { token: "plain" })),
      "invalid_token",
    );
    await assertRefused(
      await call(handler, "DPoP unknown", await proof(key, { token: "unknown" })),
      "invalid_token",
    );
  });

  it("refuses a replayed jti within the window", async () => {
    const key = await proofKey();
    const handler = dpopHandler(key);
    const once = await proof(key);
    assert.equal((await call(handler, "DPoP bound", once)).status, 200);
    const header = await assertRefused(
      await call(handler, "DPoP bound", once),
      "invalid_dpop_proof",
    );
    assert.match(header, /the proof was used before/);
  });

  it("forgets a jti when its proof could no longer be accepted anyway", async () => {
    const store = new MemoryDpopReplayStore();
    const key = await proofKey();
    let now = NOW;
    const handler = dpopHandler(key, { now: () => now, replayStore: store });
    assert.equal((await call(handler, "DPoP bound", await proof(key, { jti: "a" }))).status, 200);
    const owner = { key: "user:alice", share: 10 };
    assert.equal(await store.claim("x", NOW + 60_000, NOW, owner), true);
    now += 60_001;
    assert.equal(
      await store.claim("x", now + 60_000, now, owner),
      true,
      "expired at the window's end",
    );
  });

  it("fails closed (503) when the replay cache is full or its store fails", async () => {
    const key = await proofKey();
    const full = dpopHandler(key, { maxReplayEntries: 1, maxReplayEntriesPerPrincipal: 5 });
    assert.equal((await call(full, "DPoP bound", await proof(key))).status, 200);
    const refused = await call(full, "DPoP bound", await proof(key));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    const failing = dpopHandler(key, {
      replayStore: { claim: () => Promise.reject(new Error("store down")) },
    });
    const down = await call(failing, "DPoP bound", await proof(key));
    assert.equal(down.status, 503);
    assert.equal((await down.json()).error.code, -32603);
  });

  it("asks for a server nonce when nonces are on, and accepts the one it issued", async () => {
    const key = await proofKey();
    let now = NOW;
    const handler = dpopHandler(key, {
      nonceSecret: "a secret shared by every instance, 32+ bytes",
      now: () => now,
    });
    const first = await call(handler, "DPoP bound", await proof(key));
    await assertRefused(first, "use_dpop_nonce");
    const nonce = first.headers.get("dpop-nonce");
    assert.ok(nonce);
    assert.equal((await call(handler, "DPoP bound", await proof(key, { nonce }))).status, 200);
    await assertRefused(
      await call(handler, "DPoP bound", await proof(key, { nonce: `${nonce}x` })),
      "use_dpop_nonce",
    );
    now += 120_000; // two slots on: the nonce is stale
    const stale = await call(handler, "DPoP bound", await proof(key, { nonce, iat: now / 1000 }));
    await assertRefused(stale, "use_dpop_nonce");
    assert.notEqual(stale.headers.get("dpop-nonce"), nonce);
  });

  it("refuses a DPoP-bound token sent as Bearer; allowed mode keeps plain bearer tokens", async () => {
    const key = await proofKey();
    const handler = dpopHandler(key);
    const header = await assertRefused(await call(handler, "Bearer bound"), "invalid_token");
    assert.match(header, /^Bearer resource_metadata="[^"]+", DPoP /);
    assert.equal((await call(handler, "Bearer plain")).status, 200);
    const none = await assertRefused(await call(handler, undefined), undefined);
    assert.match(none, /^Bearer resource_metadata=/);
  });

  it("refuses bearer tokens in required mode and says so in the metadata", async () => {
    const key = await proofKey();
    const required = dpopHandler(key, { mode: "required" });
    const header = await assertRefused(await call(required, "Bearer plain"), "invalid_token");
    assert.match(header, /^DPoP /);
    const metadata = await (await required(new Request(METADATA))).json();
    assert.equal(metadata.dpop_bound_access_tokens_required, true);
    assert.deepEqual(metadata.dpop_signing_alg_values_supported, [
      "ES256",
      "EdDSA",
      "RS256",
      "PS256",
    ]);
    const allowed = await (await dpopHandler(key)(new Request(METADATA))).json();
    assert.equal(allowed.dpop_bound_access_tokens_required, undefined);
  });

  it("reports each refusal cause once, without the token or the proof", async () => {
    const key = await proofKey();
    const reported: unknown[] = [];
    const handler = dpopHandler(key, {}, (error) => reported.push(error));
    const bodies: string[] = [];
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      const bad = await proof(key, { htm: "PUT" });
      sent.push(bad);
      bodies.push(await (await call(handler, "DPoP bound", bad)).text());
    }
    assert.equal(reported.length, 1);
    const text = `${String(reported[0])} ${bodies.join(" ")}`;
    assert.match(String(reported[0]), /htm does not match/);
    for (const bad of sent) {
      assert.equal(text.includes(bad.split(".")[2]), false);
      assert.equal(text.includes(bad.split(".")[1]), false);
    }
    assert.equal(text.includes("bound"), false);
  });
});
