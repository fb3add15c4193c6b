/**
 * The OAuth edges of issue 40 against a two-issuer authorization server on
 * loopback (two_issuers.ts) and jose-made keys: the principal is (issuer,
 * subject), so two issuers' "alice" never share a session or a task; an
 * issuer that cannot be reached is asked at most once per retry interval
 * whatever the requests bring (503 + Retry-After for a JWT, 401 for a
 * bearer that is not one, reported once per outage), for the JWT and the
 * introspection verifier; a token without `exp` or issued in the future is
 * refused; a rotated key is taken after the short refetch minimum.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type AccessTokenVerifier,
  createMcpHandler,
  defineTool,
  type McpHandler,
} from "../../../mod.ts";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { anyVerifier, introspectionVerifier, jwtVerifier } from "../../../src/oauth/mod.ts";
import { tasksExtension } from "../../../src/extensions/tasks/mod.ts";
import {
  assertHttpError,
  bodilessRequest,
  initialize,
  initializeMessage,
  postRequest,
  rpc,
  TestClock,
} from "../../helpers.ts";
import { modernRpc } from "../../support/modern_helpers.ts";
import { TASK_CLIENT } from "../../support/task_helpers.ts";
import { startTwoIssuers, type TwoIssuers } from "./two_issuers.ts";

const RESOURCE = "http://127.0.0.1:8787/mcp";

let issuers: TwoIssuers;
before(async () => {
  issuers = await startTwoIssuers();
});
after(async () => {
  await issuers?.stop();
});

const tools = [
  defineTool({ name: "whoami", handler: (_input, ctx) => ctx.principal.id }),
  defineTool({ name: "quick", task: "optional", handler: () => "quick result" }),
];

function handlerFor(verifier: AccessTokenVerifier, onError: (error: unknown) => void = () => {}) {
  return createMcpHandler({
    name: "oauth-edges",
    version: "1.0.0",
    tools,
    observe: {
      onError,
    },
    extensions: [tasksExtension({ watchIntervalMs: 10 })],
    auth: {
      oauth: { resource: RESOURCE, authorizationServers: [issuers.a], verifyAccessToken: verifier },
    },
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const seconds = () => Math.floor(Date.now() / 1000);

/** A token of `issuer` for this resource, subject `sub`, valid ten minutes (extra claims override). */
function token(issuer: string, sub: string, extra: Record<string, unknown> = {}) {
  const now = seconds();
  return issuers.sign(issuer, { sub, aud: RESOURCE, iat: now, exp: now + 600, ...extra });
}

/** The status (and Retry-After) of an initialize sent with `bearerToken`. */
async function tryToken(handler: McpHandler, bearerToken: string) {
  const response = await handler(
    postRequest(initializeMessage(), { headers: bearer(bearerToken) }),
  );
  const retryAfter = response.headers.get("retry-after");
  const challenge = response.headers.get("www-authenticate");
  if (response.status === 503) {
    await assertHttpError(response, 503);
  } else {
    await response.body?.cancel();
  }
  return { status: response.status, retryAfter, challenge };
}

/** A fetch that counts what it is asked and fails as an unreachable server's would while `down`. */
function recordingFetch() {
  const urls: string[] = [];
  const state = { down: true };
  const recorded = (input: string | URL | Request, init?: RequestInit) => {
    urls.push(String(input instanceof Request ? input.url : input));
    if (state.down) return Promise.reject(new TypeError("fetch failed: connection refused"));
    return fetch(input, init);
  };
  return { urls, state, fetch: recorded as typeof fetch };
}

describe("oauth: the principal is (issuer, subject)", () => {
  it("issuer B's alice can neither use nor delete issuer A's alice session, nor see her tasks", async () => {
    const handler = handlerFor(anyVerifier([
      jwtVerifier({ issuer: issuers.a, audience: RESOURCE }),
      jwtVerifier({ issuer: issuers.b, audience: RESOURCE }),
    ]));
    const aliceOfA = bearer(await token(issuers.a, "alice"));
    const aliceOfB = bearer(await token(issuers.b, "alice"));
    // Both are "alice" to the handlers.
    const session = await initialize(handler, { headers: aliceOfA });
    const own = await rpc(handler, session, "tools/call", { name: "whoami" });
    assert.equal(own.message.result.content[0].text, "alice");
    const other = await modernRpc(handler, "tools/call", { name: "whoami" }, { headers: aliceOfB });
    assert.equal(other.message.result.content[0].text, "alice");
    // B's alice on A's alice's session: 403, for a request and for DELETE.
    const read = await rpc(handler, { ...session, headers: aliceOfB }, "tools/list");
    assert.equal(read.status, 403);
    const deleted = await handler(bodilessRequest("DELETE", {
      sessionId: session.id,
      protocolVersion: session.protocolVersion,
      headers: aliceOfB,
    }));
    assert.equal(deleted.status, 403);
    await deleted.body?.cancel();
    assert.equal((await rpc(handler, session, "tools/list")).status, 200, "the session lives on");
    // A's alice's task does not exist for B's alice.
    const created = await modernRpc(handler, "tools/call", { name: "quick" }, {
      capabilities: TASK_CLIENT,
      headers: aliceOfA,
    });
    const taskId = created.message.result.taskId;
    assert.equal(typeof taskId, "string");
    for (const method of ["tasks/get", "tasks/cancel"]) {
      const foreign = await modernRpc(handler, method, { taskId }, {
        capabilities: TASK_CLIENT,
        headers: aliceOfB,
      });
      assert.equal(foreign.message.error?.code, -32602, method);
    }
    const mine = await modernRpc(handler, "tasks/get", { taskId }, {
      capabilities: TASK_CLIENT,
      headers: aliceOfA,
    });
    assert.equal(typeof mine.message.result.status, "string");
    await handler.close();
  });
});

describe("examples/everything.ts with two issuers in OAUTH_ISSUER", () => {
  it("trusts both, names both in its metadata, and keeps their same-named users apart", async () => {
    const handler = createEverythingHandler({
      OAUTH_ISSUER: `${issuers.a}, ${issuers.b}`,
      OAUTH_RESOURCE: RESOURCE,
    });
    const metadata = await handler(
      new Request("http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"),
    );
    assert.deepEqual((await metadata.json()).authorization_servers, [issuers.a, issuers.b]);
    const aliceOfA = bearer(await token(issuers.a, "alice", { scope: "mcp:read" }));
    const aliceOfB = bearer(await token(issuers.b, "alice", { scope: "mcp:read" }));
    for (const headers of [aliceOfA, aliceOfB]) {
      const whoami = await modernRpc(handler, "tools/call", { name: "whoami" }, { headers });
      assert.equal(whoami.message.result.content[0].text, "alice");
    }
    const session = await initialize(handler, { headers: aliceOfA });
    assert.equal((await rpc(handler, { ...session, headers: aliceOfB }, "tools/list")).status, 403);
    assert.equal((await rpc(handler, session, "tools/list")).status, 200);
    // A third issuer's token is refused.
    const stranger = await token(issuers.a, "alice", { iss: "http://127.0.0.1:1/c" });
    assert.equal((await tryToken(handler, stranger)).status, 401);
    await handler.close();
  });
});

describe("oauth: an issuer that cannot be reached", () => {
  it("JWT verifier: junk never reaches it (401); JWTs get 503 + Retry-After, one attempt per retry interval, one report", async () => {
    const clock = new TestClock(Date.now());
    const recorder = recordingFetch();
    const errors: unknown[] = [];
    const handler = handlerFor(
      jwtVerifier({ issuer: issuers.a, audience: RESOURCE, fetch: recorder.fetch, now: clock.now }),
      (error) => errors.push(error),
    );
    for (const junk of ["junk", "a.b", "a.b.c", "x".repeat(40), "e30.e30.e30"]) {
      const { status, challenge } = await tryToken(handler, junk);
      assert.equal(status, 401, junk);
      assert.match(challenge ?? "", /error="invalid_token"/);
    }
    // A JWT of another issuer, without exp, or expired is refused without asking either.
    const now = seconds();
    for (
      const refused of [
        await token(issuers.b, "alice"),
        await token(issuers.a, "alice", { exp: undefined }),
        await token(issuers.a, "alice", { exp: now - 3600 }),
      ]
    ) {
      assert.equal((await tryToken(handler, refused)).status, 401);
    }
    assert.deepEqual(recorder.urls, [], "no bearer that cannot be good reaches the issuer");
    // Twenty JWTs, ten of them at once: one attempt, every one 503 with Retry-After.
    const jwt = await token(issuers.a, "alice");
    const answers = await Promise.all(Array.from({ length: 10 }, () => tryToken(handler, jwt)));
    for (let index = 0; index < 10; index++) answers.push(await tryToken(handler, jwt));
    for (const answer of answers) {
      assert.equal(answer.status, 503);
      assert.equal(answer.challenge, null);
      assert.ok(Number(answer.retryAfter) >= 1 && Number(answer.retryAfter) <= 30);
    }
    assert.equal(recorder.urls.length, 1, recorder.urls.join(", "));
    assert.equal(errors.length, 1, "the outage is reported once");
    // Past the retry interval: one more attempt, still down, not reported again.
    clock.advance(30_000);
    for (let index = 0; index < 5; index++) {
      assert.equal((await tryToken(handler, jwt)).status, 503);
    }
    assert.equal(recorder.urls.length, 2);
    assert.equal(errors.length, 1);
    // Back: the next attempt after the interval finds it, and the token passes.
    recorder.state.down = false;
    assert.equal((await tryToken(handler, jwt)).status, 503, "still resting");
    clock.advance(30_000);
    assert.equal((await tryToken(handler, jwt)).status, 200);
    await handler.close();
  });

  it("introspection verifier: one attempt per retry interval, 503 + Retry-After meanwhile", async () => {
    const clock = new TestClock(Date.now());
    const recorder = recordingFetch();
    const errors: unknown[] = [];
    const handler = handlerFor(
      introspectionVerifier({
        endpoint: `${issuers.a}/introspect`,
        clientId: "rs",
        clientSecret: "secret",
        audience: RESOURCE,
        fetch: recorder.fetch,
        now: clock.now,
      }),
      (error) => errors.push(error),
    );
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) => tryToken(handler, `opaque-${index}`)),
    );
    for (let index = 0; index < 10; index++) {
      answers.push(await tryToken(handler, `opaque-more-${index}`));
    }
    for (const answer of answers) {
      assert.equal(answer.status, 503);
      assert.ok(Number(answer.retryAfter) >= 1);
    }
    assert.equal(recorder.urls.length, 1);
    assert.equal(errors.length, 1);
    clock.advance(30_000);
    assert.equal((await tryToken(handler, "opaque-late")).status, 503);
    assert.equal(recorder.urls.length, 2);
    assert.equal(errors.length, 1);
    await handler.close();
  });
});

describe("oauth: token lifetime claims", () => {
  it("refuses a JWT without exp unless requireExpiry is false, and one issued a year ahead", async () => {
    const strict = handlerFor(jwtVerifier({ issuer: issuers.a, audience: RESOURCE }));
    const noExpiry = await token(issuers.a, "alice", { exp: undefined });
    const now = seconds();
    const year = 365 * 24 * 3600;
    const future = await token(issuers.a, "alice", { iat: now + year, exp: now + year + 600 });
    // Positive control: the same claims with exp and a present iat pass.
    assert.equal((await tryToken(strict, await token(issuers.a, "alice"))).status, 200);
    for (const refused of [noExpiry, future]) {
      const { status, challenge } = await tryToken(strict, refused);
      assert.equal(status, 401);
      assert.match(challenge ?? "", /error="invalid_token"/);
    }
    // A little skew is tolerated on iat too.
    assert.equal(
      (await tryToken(strict, await token(issuers.a, "alice", { iat: now + 10 }))).status,
      200,
    );
    await strict.close();
    const lenient = handlerFor(
      jwtVerifier({ issuer: issuers.a, audience: RESOURCE, requireExpiry: false }),
    );
    assert.equal((await tryToken(lenient, noExpiry)).status, 200);
    assert.equal((await tryToken(lenient, future)).status, 401);
    await lenient.close();
  });
});

describe("oauth: key rotation", () => {
  it("takes a freshly rotated key on the first request after the 5 s minimum; made-up keys cost one fetch per minimum", async () => {
    const clock = new TestClock(Date.now());
    const handler = handlerFor(
      jwtVerifier({ issuer: issuers.b, audience: RESOURCE, now: clock.now }),
    );
    const jwks = () => issuers.hits.get("/b/jwks") ?? 0;
    const before = jwks();
    assert.equal((await tryToken(handler, await token(issuers.b, "alice"))).status, 200);
    assert.equal(jwks(), before + 1);
    await issuers.rotate(issuers.b);
    const rotated = await token(issuers.b, "alice");
    clock.advance(1_000);
    assert.equal((await tryToken(handler, rotated)).status, 401, "within the minimum: not asked");
    assert.equal(jwks(), before + 1);
    clock.advance(4_000);
    assert.equal((await tryToken(handler, rotated)).status, 200, "the first request after it");
    assert.equal(jwks(), before + 2);
    // Another key right after: refused, no request, until the minimum has passed again.
    await issuers.rotate(issuers.b);
    const again = await token(issuers.b, "alice");
    for (let index = 0; index < 5; index++) {
      assert.equal((await tryToken(handler, again)).status, 401);
    }
    assert.equal(jwks(), before + 2);
    clock.advance(5_000);
    assert.equal((await tryToken(handler, again)).status, 200);
    assert.equal(jwks(), before + 3);
    await handler.close();
  });
});
