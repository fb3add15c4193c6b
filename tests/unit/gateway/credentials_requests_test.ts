/**
 * What the upstream credentials send to the token endpoint (an injected
 * fetch, no sockets): the RFC 8693 parameters with an operator's subject
 * token and an actor token, client_secret_basic with the id and secret
 * form-encoded, and a refusal's error naming its status only, never what
 * the authorization server said.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { clientCredentials, tokenExchange } from "../../../src/gateway/mod.ts";

const ENDPOINT = "https://auth.example.com/token";

/** A fetch that records each request and answers `answer`. */
function recording(answer: () => Response) {
  const requests: { authorization: string | null; body: URLSearchParams }[] = [];
  const fetch = (_input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    requests.push({
      authorization: headers.get("authorization"),
      body: new URLSearchParams(String(init?.body)),
    });
    return Promise.resolve(answer());
  };
  return { requests, fetch: fetch as typeof globalThis.fetch };
}

const issued = () =>
  Response.json({ access_token: "exchanged", token_type: "Bearer", expires_in: 300 });

describe("gateway credentials: token endpoint requests", () => {
  it("asks for a token exchange with the operator's subject token and an actor token", async () => {
    const { requests, fetch } = recording(issued);
    const credentials = tokenExchange({
      tokenEndpoint: ENDPOINT,
      clientId: "gate way",
      clientSecret: "s3:cr+t",
      audience: "files",
      scope: "files:read",
      subjectToken: (principal) => `minted-for-${principal.id}`,
      actorToken: () => "gateway-actor",
      fetch,
    });
    assert.deepEqual(await credentials({ id: "alice" }), { authorization: "Bearer exchanged" });
    assert.equal(requests.length, 1);
    const [{ authorization, body }] = requests;
    assert.equal(authorization, `Basic ${btoa("gate+way:s3%3Acr%2Bt")}`);
    assert.deepEqual(Object.fromEntries(body), {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: "minted-for-alice",
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
      audience: "files",
      scope: "files:read",
      actor_token: "gateway-actor",
      actor_token_type: "urn:ietf:params:oauth:token-type:access_token",
    });
    await credentials({ id: "alice" });
    assert.equal(requests.length, 1, "kept per caller");
    await credentials({ id: "bob" });
    assert.equal(requests.length, 2);
  });

  it("fails a caller without a subject token, asking nothing", async () => {
    const { requests, fetch } = recording(issued);
    const credentials = tokenExchange({
      tokenEndpoint: ENDPOINT,
      clientId: "gateway",
      clientSecret: "s3cret",
      resource: "https://files.internal/mcp",
      fetch,
    });
    await assert.rejects(async () => await credentials({ id: "alice" }));
    assert.equal(requests.length, 0);
  });

  it("words a refusal by its status, with nothing the server said", async () => {
    const { fetch } = recording(() =>
      Response.json({ error: "invalid_grant", error_description: "db01.internal said no" }, {
        status: 400,
      })
    );
    const credentials = clientCredentials({
      tokenEndpoint: ENDPOINT,
      clientId: "gateway",
      clientSecret: "s3cret",
      fetch,
    });
    await assert.rejects(
      async () => await credentials({ id: "alice" }),
      (error: Error) => /\(400\)/.test(error.message) && !/db01|invalid_grant/.test(error.message),
    );
  });

  it("refuses an answer that echoes the subject token", async () => {
    const { fetch } = recording(() => Response.json({ access_token: "minted", expires_in: 300 }));
    const credentials = tokenExchange({
      tokenEndpoint: ENDPOINT,
      clientId: "gateway",
      clientSecret: "s3cret",
      audience: "files",
      subjectToken: () => "minted",
      fetch,
    });
    await assert.rejects(async () => await credentials({ id: "alice" }));
  });
});
