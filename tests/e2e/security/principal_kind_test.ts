/**
 * Finding 1 of the hostile-input review: the anonymous principal is its own
 * kind. A session opened without credentials must not be usable by a user
 * whose id happens to be "anonymous", and the other way round.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ANONYMOUS_PRINCIPAL, isAnonymous, type Principal } from "../../../mod.ts";
import { ownerKeyOf } from "../../../src/protocol/context/request_context.ts";
import { assertHttpError, bodilessRequest, initialize, makeHandler, rpc } from "../../helpers.ts";

/** The fixture's rule: a Bearer token is the principal id; no header is anonymous. */
function bearerOrAnonymous(request: Request): Principal | undefined {
  const match = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "");
  return match === null ? undefined : { id: match[1] };
}

const whoami = {
  name: "whoami",
  handler: (_input: unknown, ctx: { principal: Principal }) => ctx.principal.id,
};
const AS_ANONYMOUS_USER = { authorization: "Bearer anonymous" };

describe("the anonymous principal is a kind of its own", () => {
  it("owner keys tell an anonymous caller from a user named anonymous", () => {
    assert.equal(isAnonymous(ANONYMOUS_PRINCIPAL), true);
    assert.equal(isAnonymous({ id: "anonymous" }), false);
    assert.notEqual(ownerKeyOf(ANONYMOUS_PRINCIPAL), ownerKeyOf({ id: "anonymous" }));
    assert.notEqual(ownerKeyOf({ id: "a" }), ownerKeyOf({ id: "b" }));
    assert.equal(ownerKeyOf({ id: "alice" }), ownerKeyOf({ id: "alice", scope: "x" }));
  });

  it("owner keys are (issuer, id) when the principal names an issuer, and the id alone without", () => {
    const a = "https://a.example";
    const b = "https://b.example";
    assert.equal(ownerKeyOf({ id: "alice" }), "user:alice", "without an issuer: today's key");
    assert.notEqual(ownerKeyOf({ id: "alice", issuer: a }), ownerKeyOf({ id: "alice", issuer: b }));
    assert.notEqual(ownerKeyOf({ id: "alice", issuer: a }), ownerKeyOf({ id: "alice" }));
    assert.equal(ownerKeyOf({ id: "alice", issuer: a }), ownerKeyOf({ id: "alice", issuer: a }));
    // The issuer's end and the id's start cannot be traded against each other.
    assert.notEqual(
      ownerKeyOf({ id: "b:alice", issuer: "https://x" }),
      ownerKeyOf({ id: "alice", issuer: "https://x:b" }),
    );
    assert.notEqual(
      ownerKeyOf({ id: `issuer:${encodeURIComponent(a)}:alice` }),
      ownerKeyOf({ id: "alice", issuer: a }),
    );
  });

  it('a user whose id is "anonymous" cannot use an anonymous session (403, untouched)', async () => {
    const handler = makeHandler({ auth: { authenticate: bearerOrAnonymous }, tools: [whoami] });
    try {
      const session = await initialize(handler);
      // Positive control: the anonymous owner itself is served.
      const own = await rpc(handler, session, "tools/call", { name: "whoami" });
      assert.equal(own.message.result.content[0].text, "anonymous");
      const hijack = await rpc(handler, { ...session, headers: AS_ANONYMOUS_USER }, "tools/call", {
        name: "whoami",
      });
      assert.equal(hijack.status, 403);
      const get = await handler(
        bodilessRequest("GET", {
          sessionId: session.id,
          protocolVersion: session.protocolVersion,
          headers: AS_ANONYMOUS_USER,
        }),
      );
      await assertHttpError(get, 403);
      const del = await handler(
        bodilessRequest("DELETE", {
          sessionId: session.id,
          protocolVersion: session.protocolVersion,
          headers: AS_ANONYMOUS_USER,
        }),
      );
      await assertHttpError(del, 403);
      // The session survived the attempts.
      assert.equal((await rpc(handler, session, "ping")).status, 200);
    } finally {
      await handler.close();
    }
  });

  it('an anonymous caller cannot use the session of a user whose id is "anonymous"', async () => {
    const handler = makeHandler({ auth: { authenticate: bearerOrAnonymous }, tools: [whoami] });
    try {
      const session = await initialize(handler, { headers: AS_ANONYMOUS_USER });
      assert.equal((await rpc(handler, session, "ping")).status, 200);
      const hijack = await rpc(handler, { ...session, headers: {} }, "tools/call", {
        name: "whoami",
      });
      assert.equal(hijack.status, 403);
      const del = await handler(
        bodilessRequest("DELETE", {
          sessionId: session.id,
          protocolVersion: session.protocolVersion,
        }),
      );
      await assertHttpError(del, 403);
      assert.equal((await rpc(handler, session, "ping")).status, 200);
    } finally {
      await handler.close();
    }
  });

  it('authenticate returning the id "anonymous" is a user, distinct from callers without credentials', async () => {
    // Both callers go through authenticate: one gets { id: "anonymous" }, one gets undefined.
    const handler = makeHandler({
      auth: {
        authenticate: (request) => request.headers.has("x-user") ? { id: "anonymous" } : undefined,
      },
      tools: [whoami],
    });
    try {
      const user = await initialize(handler, { headers: { "x-user": "1" } });
      const anonymous = await initialize(handler);
      assert.equal((await rpc(handler, { ...user, headers: {} }, "ping")).status, 403);
      assert.equal(
        (await rpc(handler, { ...anonymous, headers: { "x-user": "1" } }, "ping")).status,
        403,
      );
      assert.equal((await rpc(handler, user, "ping")).status, 200);
      assert.equal((await rpc(handler, anonymous, "ping")).status, 200);
    } finally {
      await handler.close();
    }
  });
});
