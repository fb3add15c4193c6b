/**
 * Sessions through the handler: ids, missing/unknown/forged ids, DELETE, idle
 * and absolute TTLs on an injected clock, the session cap, owner binding and
 * per-session state.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool, type McpHandler } from "../../../../mod.ts";
import {
  assertHttpError,
  bodilessRequest,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  rpc,
  TestClock,
  type TestSession,
} from "../../../helpers.ts";

const PING = { jsonrpc: "2.0", id: 1, method: "ping" };

async function ping(handler: McpHandler, session: TestSession): Promise<number> {
  return (await rpc(handler, session, "ping")).status;
}

describe("session ids", () => {
  it("initialize returns an mcp-session-id of visible ASCII carrying at least 128 bits", async () => {
    const handler = makeHandler();
    try {
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const { id } = await initialize(handler);
        assert.match(id, /^[\x21-\x7e]+$/, "visible ASCII only");
        // The default generator is base64url: 6 bits per character.
        assert.match(id, /^[A-Za-z0-9_-]+$/);
        assert.ok(id.length * 6 >= 128, `id ${id} is too short to carry 128 bits`);
        ids.add(id);
      }
      assert.equal(ids.size, 20, "ids must not repeat");
    } finally {
      await handler.close();
    }
  });

  it("a custom generateSessionId is used, and one returning invalid ids fails initialize with 500", async () => {
    let n = 0;
    const good = makeHandler({
      sessions: { generateSessionId: () => `custom-${++n}-${"x".repeat(24)}` },
    });
    const bad = makeHandler({ sessions: { generateSessionId: () => "has space" } });
    try {
      assert.match((await initialize(good)).id, /^custom-1-x+$/);
      await assertHttpError(await bad(postRequest(initializeMessage())), 500);
    } finally {
      await good.close();
      await bad.close();
    }
  });

  it("a non-initialize request without a session id answers 400", async () => {
    const handler = makeHandler();
    try {
      await initialize(handler);
      await assertHttpError(await handler(postRequest(PING)), 400, {
        message: /Mcp-Session-Id/i,
        id: PING.id,
      });
    } finally {
      await handler.close();
    }
  });

  it("GET and DELETE without a session id answer 400", async () => {
    const handler = makeHandler();
    try {
      await assertHttpError(await handler(bodilessRequest("GET")), 400);
      await assertHttpError(await handler(bodilessRequest("DELETE")), 400);
    } finally {
      await handler.close();
    }
  });

  it("an unknown session id answers 404 telling the client to initialize again", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        postRequest(PING, { sessionId: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }),
      );
      await assertHttpError(response, 404, { message: /initialize/, id: PING.id });
    } finally {
      await handler.close();
    }
  });

  it("a malformed session id (non-visible ASCII) answers 404", async () => {
    const handler = makeHandler();
    try {
      await assertHttpError(await handler(postRequest(PING, { sessionId: "a b" })), 404, {
        id: PING.id,
      });
      await assertHttpError(await handler(postRequest(PING, { sessionId: "x".repeat(300) })), 404, {
        id: PING.id,
      });
    } finally {
      await handler.close();
    }
  });

  it("a forged id is never adopted: initialize after it mints a different id, and the forged one keeps answering 404", async () => {
    const handler = makeHandler();
    try {
      const forged = "forged-session-id-0123456789abcdef";
      await assertHttpError(await handler(postRequest(PING, { sessionId: forged })), 404, {
        id: PING.id,
      });
      // Initialize while presenting the forged id: it must be ignored.
      const response = await handler(postRequest(initializeMessage(), { sessionId: forged }));
      assert.equal(response.status, 200);
      const minted = response.headers.get("mcp-session-id");
      assert.ok(minted);
      assert.notEqual(minted, forged);
      await assertHttpError(await handler(postRequest(PING, { sessionId: forged })), 404, {
        id: PING.id,
      });
      assert.equal((await handler(postRequest(PING, { sessionId: minted }))).status, 200);
    } finally {
      await handler.close();
    }
  });
});

describe("DELETE", () => {
  it("answers 204, then the id answers 404", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      assert.equal(await ping(handler, session), 200);
      const deleted = await handler(bodilessRequest("DELETE", { sessionId: session.id }));
      assert.equal(deleted.status, 204);
      assert.equal(await deleted.text(), "");
      await assertHttpError(await handler(postRequest(PING, { sessionId: session.id })), 404, {
        id: PING.id,
      });
      await assertHttpError(
        await handler(bodilessRequest("DELETE", { sessionId: session.id })),
        404,
      );
    } finally {
      await handler.close();
    }
  });

  it("deleting one session leaves another working", async () => {
    const handler = makeHandler();
    try {
      const a = await initialize(handler);
      const b = await initialize(handler);
      assert.equal((await handler(bodilessRequest("DELETE", { sessionId: a.id }))).status, 204);
      assert.equal(await ping(handler, b), 200);
    } finally {
      await handler.close();
    }
  });
});

describe("TTLs (injected clock)", () => {
  it("idle TTL: a request 999 ms after the last one works; after a 1001 ms gap the session answers 404", async () => {
    const clock = new TestClock();
    const handler = makeHandler({ now: clock.now, sessions: { idleTtlMs: 1000 } });
    try {
      const session = await initialize(handler);
      clock.advance(999);
      assert.equal(await ping(handler, session), 200);
      clock.advance(1001);
      await assertHttpError(await handler(postRequest(PING, { sessionId: session.id })), 404, {
        message: /initialize/,
        id: PING.id,
      });
    } finally {
      await handler.close();
    }
  });

  it("idle TTL: every request extends the deadline", async () => {
    const clock = new TestClock();
    const handler = makeHandler({ now: clock.now, sessions: { idleTtlMs: 1000 } });
    try {
      const session = await initialize(handler);
      // 5 s of activity, 900 ms apart: far past the first deadline.
      for (let i = 0; i < 6; i++) {
        clock.advance(900);
        assert.equal(await ping(handler, session), 200, `request ${i} at +${900 * (i + 1)} ms`);
      }
      clock.advance(1000);
      assert.equal(await ping(handler, session), 404);
    } finally {
      await handler.close();
    }
  });

  it("idle TTL: expiry is exactly at the deadline", async () => {
    const clock = new TestClock();
    const handler = makeHandler({ now: clock.now, sessions: { idleTtlMs: 1000 } });
    try {
      const session = await initialize(handler);
      clock.advance(1000);
      assert.equal(await ping(handler, session), 404);
    } finally {
      await handler.close();
    }
  });

  it("absolute TTL: activity every 500 ms still expires at the absolute limit", async () => {
    const clock = new TestClock();
    const handler = makeHandler({
      now: clock.now,
      sessions: { idleTtlMs: 1000, absoluteTtlMs: 2000 },
    });
    try {
      const session = await initialize(handler);
      for (const _ of [500, 1000, 1500]) {
        clock.advance(500);
        assert.equal(await ping(handler, session), 200);
      }
      clock.advance(499); // t = 1999
      assert.equal(await ping(handler, session), 200);
      clock.advance(1); // t = 2000: the absolute limit
      assert.equal(await ping(handler, session), 404);
    } finally {
      await handler.close();
    }
  });

  it("an expired session is also refused on GET and DELETE", async () => {
    const clock = new TestClock();
    const handler = makeHandler({ now: clock.now, sessions: { idleTtlMs: 1000 } });
    try {
      const session = await initialize(handler);
      clock.advance(5000);
      await assertHttpError(await handler(bodilessRequest("GET", { sessionId: session.id })), 404);
      await assertHttpError(
        await handler(bodilessRequest("DELETE", { sessionId: session.id })),
        404,
      );
    } finally {
      await handler.close();
    }
  });

  it("stats counts live sessions, and DELETE removes one", async () => {
    const handler = makeHandler();
    try {
      const a = await initialize(handler);
      await initialize(handler);
      assert.equal((await handler.stats()).sessions, 2);
      await handler(bodilessRequest("DELETE", { sessionId: a.id }));
      assert.equal((await handler.stats()).sessions, 1);
    } finally {
      await handler.close();
    }
  });
});

describe("session cap", () => {
  it("maxSessions: 2 → the third initialize answers 503 with Retry-After; existing sessions keep working", async () => {
    const clock = new TestClock();
    const handler = makeHandler({
      now: clock.now,
      sessions: { maxSessions: 2, retryAfterSeconds: 7 },
    });
    try {
      const a = await initialize(handler);
      const b = await initialize(handler);
      const refused = await handler(postRequest(initializeMessage()));
      assert.equal(refused.headers.get("retry-after"), "7");
      assert.equal(refused.headers.get("mcp-session-id"), null);
      await assertHttpError(refused, 503, { id: 0 });
      assert.equal(await ping(handler, a), 200);
      assert.equal(await ping(handler, b), 200);
    } finally {
      await handler.close();
    }
  });

  it("after a session expires (clock), a new one is allowed", async () => {
    const clock = new TestClock();
    const handler = makeHandler({
      now: clock.now,
      sessions: { maxSessions: 2, idleTtlMs: 10_000 },
    });
    try {
      const a = await initialize(handler);
      clock.advance(5_000);
      const b = await initialize(handler);
      assert.equal((await handler(postRequest(initializeMessage()))).status, 503);
      clock.advance(5_000); // a expires (idle since t0), b has 5 s left
      const c = await initialize(handler);
      assert.notEqual(c.id, a.id);
      assert.equal(await ping(handler, a), 404);
      assert.equal(await ping(handler, b), 200);
      assert.equal(await ping(handler, c), 200);
      assert.equal((await handler(postRequest(initializeMessage()))).status, 503);
    } finally {
      await handler.close();
    }
  });

  it("after a DELETE, a new session is allowed", async () => {
    const handler = makeHandler({ sessions: { maxSessions: 1 } });
    try {
      const a = await initialize(handler);
      assert.equal((await handler(postRequest(initializeMessage()))).status, 503);
      await handler(bodilessRequest("DELETE", { sessionId: a.id }));
      await initialize(handler);
    } finally {
      await handler.close();
    }
  });
});

describe("owner binding", () => {
  function withPrincipals(clock: TestClock) {
    return makeHandler({
      now: clock.now,
      sessions: { idleTtlMs: 1000 },
      auth: {
        authenticate: (request) => {
          const user = request.headers.get("x-user");
          return user === null ? undefined : { id: user };
        },
      },
    });
  }

  it("principal B using A's session answers 403 with no detail", async () => {
    const clock = new TestClock();
    const handler = withPrincipals(clock);
    try {
      const a = await initialize(handler, { headers: { "x-user": "alice" } });
      const response = await handler(
        postRequest(PING, { sessionId: a.id, headers: { "x-user": "bob" } }),
      );
      const body = await assertHttpError(response, 403, { id: PING.id });
      assert.equal(body.error.message, "Forbidden");
      assert.equal(body.error.data, undefined);
      // Anonymous is a principal too, and not alice.
      await assertHttpError(await handler(postRequest(PING, { sessionId: a.id })), 403, {
        id: PING.id,
      });
      // GET and DELETE are bound the same way, and B's DELETE does not end A's session.
      await assertHttpError(
        await handler(bodilessRequest("GET", { sessionId: a.id, headers: { "x-user": "bob" } })),
        403,
      );
      await assertHttpError(
        await handler(bodilessRequest("DELETE", { sessionId: a.id, headers: { "x-user": "bob" } })),
        403,
      );
      assert.equal(await ping(handler, a), 200);
    } finally {
      await handler.close();
    }
  });

  it("B's refused request does not touch A's session: A's idle deadline is not extended", async () => {
    const clock = new TestClock();
    const handler = withPrincipals(clock);
    try {
      const a = await initialize(handler, { headers: { "x-user": "alice" } });
      clock.advance(900);
      assert.equal(
        (await handler(postRequest(PING, { sessionId: a.id, headers: { "x-user": "bob" } })))
          .status,
        403,
      );
      clock.advance(100); // t = 1000: A's original deadline
      assert.equal(await ping(handler, a), 404, "B's request must not have extended A's session");
    } finally {
      await handler.close();
    }
  });

  it("the same principal may use its session from another request (token refresh keeps the principal)", async () => {
    const clock = new TestClock();
    const handler = withPrincipals(clock);
    try {
      const a = await initialize(handler, {
        headers: { "x-user": "alice", authorization: "Bearer one" },
      });
      const response = await handler(postRequest(PING, {
        sessionId: a.id,
        headers: { "x-user": "alice", authorization: "Bearer two" },
      }));
      assert.equal(response.status, 200);
    } finally {
      await handler.close();
    }
  });
});

describe("session state", () => {
  const counter = defineTool({
    name: "count",
    handler: async (_input, ctx) =>
      String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1)),
  });
  const store = defineTool({
    name: "store",
    input: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    handler: async (input, ctx) => {
      await ctx.session!.set("text", input.text);
      return "stored";
    },
  });

  it("two sessions of the same principal have separate state", async () => {
    const handler = makeHandler({ tools: [counter] });
    try {
      const a = await initialize(handler);
      const b = await initialize(handler);
      const text = async (s: TestSession) =>
        (await rpc(handler, s, "tools/call", { name: "count" })).message.result.content[0].text;
      assert.equal(await text(a), "1");
      assert.equal(await text(a), "2");
      assert.equal(await text(b), "1");
      assert.equal(await text(a), "3");
      assert.equal(await text(b), "2");
    } finally {
      await handler.close();
    }
  });

  it("state survives across requests and is gone with the session", async () => {
    const reader = defineTool({
      name: "read",
      handler: async (_i, ctx) => JSON.stringify(await ctx.session!.get("text") ?? null),
    });
    const handler = makeHandler({ tools: [store, reader] });
    try {
      const a = await initialize(handler);
      await rpc(handler, a, "tools/call", { name: "store", arguments: { text: "hello" } });
      assert.equal(
        (await rpc(handler, a, "tools/call", { name: "read" })).message.result.content[0].text,
        '"hello"',
      );
      await handler(bodilessRequest("DELETE", { sessionId: a.id }));
      const b = await initialize(handler);
      assert.equal(
        (await rpc(handler, b, "tools/call", { name: "read" })).message.result.content[0].text,
        "null",
      );
    } finally {
      await handler.close();
    }
  });

  it("sessions.maxStateBytes rejects an oversized write with an isError tool result", async () => {
    const handler = makeHandler({ tools: [store], sessions: { maxStateBytes: 100 } });
    try {
      const a = await initialize(handler);
      const small = await rpc(handler, a, "tools/call", {
        name: "store",
        arguments: { text: "x".repeat(20) },
      });
      assert.equal(small.message.result.isError, undefined);
      const big = await rpc(handler, a, "tools/call", {
        name: "store",
        arguments: { text: "x".repeat(200) },
      });
      assert.equal(big.status, 200);
      assert.equal(big.message.result.isError, true);
      assert.match(big.message.result.content[0].text, /limit 100/);
    } finally {
      await handler.close();
    }
  });
});
