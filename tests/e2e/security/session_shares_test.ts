/**
 * Session shares (issue 40): one anonymous client used to take all 10,000
 * session slots in 1.6-3.5 s, and every other principal's `initialize` got
 * `503` for the 30-minute idle TTL. Each principal now holds at most its
 * share (`sessions.maxSessionsPerPrincipal`, `sessions.maxAnonymousSessions`
 * for every anonymous caller together); one more `initialize` is `429` +
 * `Retry-After` with `-32004`, while other principals still get sessions.
 * The share is given back when a session ends (DELETE, idle or absolute
 * expiry), and counted in the store, so Redis instances share it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { McpHandler, McpHandlerOptions } from "../../../mod.ts";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
import {
  assertHttpError,
  bodilessRequest,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  TestClock,
  type TestSession,
} from "../../helpers.ts";
import { describeRedis, redisSkip, startRedis, type TestRedis } from "../redis/redis_server.ts";

/** `x-user: <id>` authenticates as that user; no header is anonymous. */
function byHeader(request: Request): { id: string } | undefined {
  const user = request.headers.get("x-user");
  return user === null || user === "" ? undefined : { id: user };
}

/** Headers of `user` (undefined: anonymous). */
function as(user: string | undefined): Record<string, string> {
  return user === undefined ? {} : { "x-user": user };
}

/** A handler that authenticates by header. */
function fixture(extra: Partial<McpHandlerOptions> = {}): McpHandler {
  return makeHandler({ tools: [], ...extra, auth: { authenticate: byHeader, ...extra?.auth } });
}

/** `initialize` as `user`; the raw answer. */
function initializeAs(handler: McpHandler, user: string | undefined): Promise<Response> {
  return handler(postRequest(initializeMessage("2025-11-25", {}, 7), { headers: as(user) }));
}

/** Asserts the share refusal of an `initialize`: 429, Retry-After, -32004 with its id. */
async function assertShareRefused(response: Response, retryAfter = "30"): Promise<void> {
  assert.equal(response.headers.get("retry-after"), retryAfter);
  await assertHttpError(response, 429, { code: -32004, message: /too many sessions/, id: 7 });
}

/** Sessions opened for `user` until the first refusal (at most `limit`); the refusal. */
async function fill(handler: McpHandler, user: string | undefined, limit: number) {
  const sessions: TestSession[] = [];
  for (let i = 0; i < limit; i++) {
    const response = await initializeAs(handler, user);
    if (response.status !== 200) return { sessions, refused: response };
    await response.body?.cancel();
    sessions.push({
      id: response.headers.get("mcp-session-id")!,
      protocolVersion: "2025-11-25",
      headers: as(user),
      result: {},
    });
  }
  return { sessions, refused: undefined };
}

/** Ends `session` with a DELETE; asserts 204. */
async function remove(handler: McpHandler, session: TestSession): Promise<void> {
  const response = await handler(bodilessRequest("DELETE", {
    sessionId: session.id,
    protocolVersion: session.protocolVersion,
    headers: session.headers,
  }));
  assert.equal(response.status, 204);
}

describe("session shares per principal", () => {
  it("a principal at its share gets 429 + -32004 + Retry-After; another principal still gets a session", async () => {
    const handler = fixture({ sessions: { maxSessions: 8, maxSessionsPerPrincipal: 2 } });
    try {
      const alice = await fill(handler, "alice", 3);
      assert.equal(alice.sessions.length, 2);
      assert.ok(alice.refused, "alice's third initialize is refused");
      await assertShareRefused(alice.refused);
      await initialize(handler, { headers: as("bob") }); // bob is served
      assert.equal((await handler.stats()).sessions, 3);
      // A DELETE gives alice's place back.
      await remove(handler, alice.sessions[0]);
      await initialize(handler, { headers: as("alice") });
      await assertShareRefused(await initializeAs(handler, "alice"));
    } finally {
      await handler.close();
    }
  });

  it("anonymous callers share one small share when callers authenticate; an account is still served", async () => {
    // Defaults: anonymous a sixteenth of maxSessions (4 of 64), an account a quarter (16).
    const handler = fixture({ sessions: { maxSessions: 64 } });
    try {
      const anonymous = await fill(handler, undefined, 64);
      assert.equal(anonymous.sessions.length, 4, "the anonymous share by default");
      assert.ok(anonymous.refused);
      await assertShareRefused(anonymous.refused);
      const alice = await fill(handler, "alice", 64);
      assert.equal(alice.sessions.length, 16, "an account's share by default");
      await assertShareRefused(alice.refused!);
      // Anonymous plus one account hold 20 of 64: a third principal is served.
      await initialize(handler, { headers: as("bob") });
      // A user whose id is "anonymous" is not the anonymous principal.
      await initialize(handler, { headers: as("anonymous") });
    } finally {
      await handler.close();
    }
  });

  it("without authentication every caller is anonymous, so the anonymous share is the whole pool", async () => {
    const handler = makeHandler({ tools: [], sessions: { maxSessions: 6 } });
    try {
      const all = await fill(handler, undefined, 7);
      assert.equal(all.sessions.length, 6, "the whole pool, not a sixteenth of it");
      assert.ok(all.refused);
      // The pool's cap, not a share: 503 as before.
      assert.equal(all.refused.headers.get("retry-after"), "30");
      await assertHttpError(all.refused, 503, { message: /too many sessions/, id: 7 });
    } finally {
      await handler.close();
    }
  });

  it("a session that expires (idle, then absolute) gives its place back", async () => {
    const clock = new TestClock();
    const handler = fixture({
      now: clock.now,
      sessions: {
        maxSessionsPerPrincipal: 1,
        idleTtlMs: 1_000,
        absoluteTtlMs: 10_000,
        retryAfterSeconds: 5,
      },
    });
    try {
      await initialize(handler, { headers: as("alice") });
      await assertShareRefused(await initializeAs(handler, "alice"), "5");
      clock.advance(1_001); // idle expiry; swept when the share is found full
      const second = await initialize(handler, { headers: as("alice") });
      // Kept in use until its absolute deadline.
      for (let used = 0; used < 10; used++) {
        clock.advance(999);
        const ping = await handler(postRequest(
          { jsonrpc: "2.0", id: 1, method: "ping" },
          { sessionId: second.id, protocolVersion: second.protocolVersion, headers: as("alice") },
        ));
        assert.equal(ping.status, 200);
        await ping.body?.cancel();
      }
      await assertShareRefused(await initializeAs(handler, "alice"), "5");
      clock.advance(1_010); // past the absolute deadline
      await initialize(handler, { headers: as("alice") });
      await assertShareRefused(await initializeAs(handler, "alice"), "5");
    } finally {
      await handler.close();
    }
  });

  it("the shares are validated as limits", () => {
    for (const name of ["maxSessionsPerPrincipal", "maxAnonymousSessions"] as const) {
      assert.throws(() => makeHandler({ sessions: { [name]: 0 } }), new RegExp(`sessions.${name}`));
      assert.throws(() => makeHandler({ sessions: { [name]: 1.5 } }), new RegExp(name));
    }
  });
});

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

describeRedis("session shares in a shared Redis store", () => {
  it("two instances count one principal's sessions together, and a DELETE on either gives one back", async () => {
    const prefix = `shares${++n}:`;
    const instance = () =>
      fixture({
        sessions: {
          store: new RedisSessionStore(redis.client, { prefix }),
          maxSessionsPerPrincipal: 2,
          maxAnonymousSessions: 1,
        },
      });
    const a = instance();
    const b = instance();
    try {
      const first = await initialize(a, { headers: as("alice") });
      await initialize(b, { headers: as("alice") });
      await assertShareRefused(await initializeAs(a, "alice"));
      await assertShareRefused(await initializeAs(b, "alice"));
      await initialize(b, { headers: as("bob") });
      await initialize(a, { headers: as(undefined) });
      await assertShareRefused(await initializeAs(b, undefined));
      await remove(b, first); // opened on a, ended on b
      await initialize(a, { headers: as("alice") });
      await assertShareRefused(await initializeAs(b, "alice"));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("an expired session's place comes back through the shared sweep", async () => {
    const clock = new TestClock();
    const prefix = `shares${++n}:`;
    const instance = () =>
      fixture({
        now: clock.now,
        sessions: {
          store: new RedisSessionStore(redis.client, { prefix }),
          maxSessionsPerPrincipal: 1,
          idleTtlMs: 1_000,
        },
      });
    const a = instance();
    const b = instance();
    try {
      await initialize(a, { headers: as("alice") });
      await assertShareRefused(await initializeAs(b, "alice"));
      clock.advance(1_001);
      await initialize(b, { headers: as("alice") });
      await assertShareRefused(await initializeAs(a, "alice"));
    } finally {
      await a.close();
      await b.close();
    }
  });
});
