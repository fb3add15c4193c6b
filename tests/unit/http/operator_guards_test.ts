/**
 * The operators' guards of seed 001, each off by default: requireHeader
 * (403 on every MCP method, never on the health path), rateLimit before the
 * body and authenticate (429 + Retry-After; the token bucket refills on an
 * injected clock and remembers a bounded number of keys), and
 * maxConcurrentRequests (503 + Retry-After; a streamed call counts until its
 * handler returns, even when its client hangs up; listening streams hold no
 * place). The fixture turns each on from its environment.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool, type McpHandler, tokenBucket } from "../../../mod.ts";
import type { RateDecision } from "../../../src/types/mod.ts";
import { createEverythingHandler } from "../../../examples/everything.ts";
import {
  abortReason,
  assertHttpError,
  bodilessRequest,
  deferred,
  ENDPOINT,
  initialize,
  initializeMessage,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  readTextUntil,
  until,
  VirtualScheduler,
  within,
} from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";
import { blockingTool } from "../../blocking_tool.ts";

/** A POST whose body never arrives: it holds its place in the entry until close() ends the read. */
function stalledPost(): Request {
  return new Request(ENDPOINT, {
    method: "POST",
    headers: { accept: "application/json, text/event-stream", "content-type": "application/json" },
    body: new ReadableStream({ start() {} }),
    duplex: "half",
  } as RequestInit);
}

/** A tool that streams (progress) and then waits for `latch`, ignoring its signal. */
function holdTool(latch: Promise<void>, seen?: (signal: AbortSignal) => void) {
  return defineTool({
    name: "hold",
    handler: async (_input, ctx) => {
      seen?.(ctx.signal);
      await ctx.progress(1); // answered on a stream from here on
      await latch;
      return "released";
    },
  });
}

async function concurrent(handler: McpHandler): Promise<number> {
  return (await handler.stats()).concurrentRequests;
}

describe("requireHeader", () => {
  it("a request without the header is 403 (any method); with it, served", async () => {
    const handler = makeHandler({ security: { requireHeader: "X-MCP-Client" } });
    try {
      await assertHttpError(await handler(postRequest(initializeMessage())), 403, {
        message: /x-mcp-client/,
      });
      const served = await handler(
        postRequest(initializeMessage(), { headers: { "x-mcp-client": "1" } }),
      );
      assert.equal(served.status, 200);
      await served.text();
    } finally {
      await handler.close();
    }
  });

  it("GET and DELETE need it too; the health path does not", async () => {
    const handler = makeHandler({
      security: { requireHeader: "x-mcp-client" },
      http: { healthPath: "/healthz" },
    });
    try {
      const session = await initialize(handler, { headers: { "x-mcp-client": "1" } });
      for (const method of ["GET", "DELETE"]) {
        const refused = await handler(
          bodilessRequest(method, {
            sessionId: session.id,
            protocolVersion: session.protocolVersion,
          }),
        );
        await assertHttpError(refused, 403, { code: -32600, message: /x-mcp-client header/ });
      }
      const deleted = await handler(bodilessRequest("DELETE", {
        sessionId: session.id,
        protocolVersion: session.protocolVersion,
        headers: { "x-mcp-client": "1" },
      }));
      assert.equal(deleted.status, 204, "positive control: with the header, DELETE is served");
      await deleted.body?.cancel();
      const health = await handler(new Request("http://127.0.0.1:8787/healthz"));
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      assert.equal((await handler.stats()).refusals, 2, "each refusal is counted");
    } finally {
      await handler.close();
    }
  });

  it("a name that is not a header name is refused at startup", () => {
    assert.throws(() => makeHandler({ security: { requireHeader: "bad header" } }), TypeError);
  });
});

describe("rateLimit", () => {
  it("is consulted before authenticate: a limited request never reaches it", async () => {
    let authentications = 0;
    const clock = { time: 0 };
    const handler = makeHandler({
      limits: {
        rateLimit: tokenBucket({
          perMinute: 60,
          burst: 2,
          key: () => "one",
          now: () => clock.time,
        }),
      },
      auth: {
        authenticate: () => {
          authentications++;
          return { id: "alice" };
        },
      },
    });
    try {
      for (let i = 0; i < 2; i++) {
        const response = await handler(postRequest(initializeMessage()));
        assert.equal(response.status, 200);
        await response.text();
      }
      const limited = await handler(postRequest(initializeMessage()));
      assert.equal(limited.headers.get("retry-after"), "1");
      await assertHttpError(limited, 429);
      assert.equal(authentications, 2, "the limited request did not ask authenticate");
      clock.time += 1_000; // one token back at 60 per minute
      const again = await handler(postRequest(initializeMessage()));
      assert.equal(again.status, 200);
      await again.text();
    } finally {
      await handler.close();
    }
  });

  it("is consulted before the body is read: a limited request whose body never comes is 429 at once", async () => {
    const handler = makeHandler({
      limits: {
        rateLimit: { take: () => ({ ok: false, retryAfterSeconds: 7 }) },
      },
    });
    try {
      const limited = await within(handler(stalledPost()), 2_000, "the 429");
      assert.equal(limited.headers.get("retry-after"), "7");
      await assertHttpError(limited, 429, { code: -32600, message: /Too Many Requests/ });
    } finally {
      await handler.close();
    }
  });

  it("an async limiter is awaited, and Retry-After is always whole seconds of at least 1", async () => {
    const answers: RateDecision[] = [
      { ok: true },
      { ok: false, retryAfterSeconds: 2.5 },
      { ok: false, retryAfterSeconds: 0 },
      { ok: false, retryAfterSeconds: Number.NaN },
    ];
    const handler = makeHandler({
      limits: {
        rateLimit: { take: () => Promise.resolve(answers.shift()!) },
      },
    });
    try {
      const served = await handler(postRequest(initializeMessage()));
      assert.equal(served.status, 200, "positive control: an ok decision lets the request through");
      await served.text();
      for (const expected of ["3", "1", "1"]) {
        const limited = await handler(postRequest(initializeMessage()));
        assert.equal(limited.headers.get("retry-after"), expected);
        await assertHttpError(limited, 429);
      }
    } finally {
      await handler.close();
    }
  });

  it("the token bucket spends its burst, refills on the injected clock up to the burst, and never from a clock that steps back", () => {
    const clock = { time: 10_000 };
    const bucket = tokenBucket({ perMinute: 60, burst: 3, key: () => "k", now: () => clock.time });
    const request = new Request(ENDPOINT);
    for (let i = 0; i < 3; i++) assert.equal(bucket.take(request).ok, true, `burst token ${i}`);
    assert.deepEqual(bucket.take(request), { ok: false, retryAfterSeconds: 1 });
    clock.time += 500;
    assert.equal(bucket.take(request).ok, false, "half a token is not a token");
    clock.time += 500;
    assert.equal(bucket.take(request).ok, true, "one second refills one token at 60 per minute");
    clock.time += 10 * 60_000;
    for (let i = 0; i < 3; i++) assert.equal(bucket.take(request).ok, true);
    assert.equal(bucket.take(request).ok, false, "a long idle refills only up to the burst");
    clock.time -= 60_000;
    assert.equal(bucket.take(request).ok, false, "a clock stepping back refills nothing");
    clock.time += 60_000 + 1_000;
    assert.equal(
      bucket.take(request).ok,
      true,
      "refills again once the clock passes its last reading",
    );
  });

  it("the token bucket keeps keys apart and remembers at most maxKeys of them", () => {
    const clock = { time: 0 };
    let key = "a";
    const bucket = tokenBucket({
      perMinute: 6,
      burst: 1,
      key: () => key,
      maxKeys: 2,
      now: () => clock.time,
    });
    const request = new Request("http://x/");
    assert.equal(bucket.take(request).ok, true);
    assert.deepEqual(bucket.take(request), { ok: false, retryAfterSeconds: 10 });
    key = "b";
    assert.equal(bucket.take(request).ok, true, "another key has its own bucket");
    key = "c";
    assert.equal(bucket.take(request).ok, true);
    key = "a";
    assert.equal(bucket.take(request).ok, true, "a was forgotten (maxKeys 2): a full bucket again");
    // Keys are remembered by their first 256 characters: two long keys with one prefix share a bucket.
    key = "x".repeat(256) + "1";
    assert.equal(bucket.take(request).ok, true);
    key = "x".repeat(256) + "2";
    assert.equal(bucket.take(request).ok, false, "same first 256 characters: same bucket");
    assert.throws(() => tokenBucket({ perMinute: 0, key: () => "" }), RangeError);
    assert.throws(() => tokenBucket({ perMinute: 60, burst: 0.5, key: () => "" }), RangeError);
    assert.throws(() => tokenBucket({ perMinute: 60, maxKeys: 0, key: () => "" }), RangeError);
  });
});

describe("maxConcurrentRequests", () => {
  it("refuses past the cap with 503 + Retry-After; a streamed call counts until its work is done", async () => {
    const release = deferred();
    const handler = makeHandler({
      limits: {
        maxConcurrentRequests: 2,
      },
      streams: {
        heartbeatMs: 0,
      },
      tools: [defineTool({
        name: "hold",
        handler: async (_input, ctx) => {
          await ctx.progress(1); // answered on a stream from here on
          await release.promise;
          return "released";
        },
      })],
    });
    try {
      const session = await initialize(handler);
      const call = await handler(postRequest(
        {
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "hold", _meta: { progressToken: 1 } },
        },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      assert.match(call.headers.get("content-type") ?? "", /text\/event-stream/);
      const stats = await handler.stats();
      assert.equal(stats.concurrentRequests, 1, "the streamed call still counts");
      assert.equal(stats.maxConcurrentRequests, 2);
      const second = await handler(postRequest(initializeMessage()));
      assert.equal(second.status, 200, "positive control: one more fits");
      await second.text();
      // Hold a second place with a request whose body never ends.
      const stalled = handler(
        new Request("http://127.0.0.1:8787/mcp", {
          method: "POST",
          headers: {
            accept: "application/json, text/event-stream",
            "content-type": "application/json",
          },
          body: new ReadableStream({ start() {} }),
          duplex: "half",
        } as RequestInit),
      );
      await until(
        async () => (await handler.stats()).concurrentRequests === 2,
        "the stalled request to count",
      );
      const refused = await handler(postRequest(initializeMessage()));
      assert.equal(refused.headers.get("retry-after"), "1");
      await assertHttpError(refused, 503, {
        code: -32600,
        message: /too many requests in progress/,
      });
      release.resolve();
      const { text } = await readTextUntil(call.body!.getReader(), (t) => t.includes("released"));
      assert.match(text, /released/);
      await until(
        async () => (await handler.stats()).concurrentRequests === 1,
        "the stream's place to be given back",
      );
      await handler.close();
      await stalled;
    } finally {
      await handler.close();
    }
  });
});

describe("maxConcurrentRequests: work that outlives its connection", () => {
  it("2025: a streamed call whose client hangs up keeps its place until its handler returns", async () => {
    const latch = deferred();
    const handler = makeHandler({
      limits: {
        maxConcurrentRequests: 4,
      },
      streams: {
        heartbeatMs: 0,
      },
      tools: [holdTool(latch.promise)],
    });
    try {
      const session = await initialize(handler);
      const call = await handler(postRequest(
        {
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "hold", _meta: { progressToken: 1 } },
        },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      assert.match(call.headers.get("content-type") ?? "", /text\/event-stream/);
      const reader = call.body!.getReader();
      await readSseUntil(reader, (events) => messagesOf(events).length >= 1); // the progress
      await reader.cancel();
      await until(async () => (await handler.stats()).openStreams === 0, "the stream to be gone");
      assert.equal(
        (await handler.stats()).inFlight,
        1,
        "the tool still runs (a drop is not a cancel)",
      );
      assert.equal(await concurrent(handler), 1, "and still holds its place");
      latch.resolve();
      await until(async () => (await concurrent(handler)) === 0, "the place to be given back");
    } finally {
      latch.resolve();
      await handler.close();
    }
  });

  it("2025: eight dropped calls give their places back when their work ends, at the orphan deadline at the latest", async () => {
    // Issue 40: eight dropped sessionful calls held the pool for ~60 s: their work ran on for
    // orphanTimeoutMs (default 60 s) waiting for a resume. The place goes with the work: at once
    // when the tool returns, else when the orphan deadline aborts it ("abandoned").
    const blocking = blockingTool({ announce: true });
    // The orphan deadline on a manual clock: it passes only when the test says so.
    const scheduler = new VirtualScheduler({ manual: true });
    const handler = makeHandler({
      limits: {
        maxConcurrentRequests: 9,
      },
      streams: {
        orphanTimeoutMs: 100,
        heartbeatMs: 0,
      },
      tools: [blocking.tool],
      scheduler,
    });
    try {
      const session = await initialize(handler);
      for (let id = 1; id <= 8; id++) {
        const call = await handler(postRequest(
          { jsonrpc: "2.0", id, method: "tools/call", params: { name: "block", arguments: {} } },
          { sessionId: session.id, protocolVersion: session.protocolVersion },
        ));
        assert.match(call.headers.get("content-type") ?? "", /text\/event-stream/);
        await blocking.call(id);
        await call.body!.cancel(); // the client drops the call; its work goes on
      }
      assert.equal(await concurrent(handler), 8, "the dropped calls' work holds places");
      const full = await handler(postRequest({ jsonrpc: "2.0", id: 9, method: "ping" }, {
        sessionId: session.id,
        protocolVersion: session.protocolVersion,
      }));
      assert.equal(full.status, 200, "positive control: the ninth place is free");
      await full.body?.cancel();
      // Four tools return: their places come back with them, before any deadline.
      for (let n = 1; n <= 4; n++) (await blocking.call(n)).finish();
      await until(async () => (await concurrent(handler)) === 4, "four places back");
      // The other four are abandoned at the orphan deadline, and their places come back.
      await scheduler.advance(100);
      await within(blocking.aborted, 3_000, "the orphan deadline");
      await until(async () => (await concurrent(handler)) === 0, "every place back");
      for (let n = 5; n <= 8; n++) assert.equal(blocking.calls[n - 1].signal.reason, "abandoned");
      assert.equal((await handler.stats()).inFlight, 0);
    } finally {
      blocking.release();
      await handler.close();
    }
  });

  it("2026-07-28: a closed stream aborts the call, but a tool that ignores its signal keeps its place", async () => {
    const latch = deferred();
    const signal = deferred<AbortSignal>();
    const handler = makeHandler({
      limits: {
        maxConcurrentRequests: 4,
      },
      streams: {
        heartbeatMs: 0,
      },
      tools: [holdTool(latch.promise, signal.resolve)],
    });
    try {
      const call = await handler(
        modernRequest("tools/call", { name: "hold", arguments: {} }, {
          meta: { progressToken: 1 },
        }),
      );
      assert.match(call.headers.get("content-type") ?? "", /text\/event-stream/);
      const reader = call.body!.getReader();
      await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      await reader.cancel();
      assert.equal(await abortReason(await signal.promise), "client-gone");
      assert.equal((await handler.stats()).inFlight, 1);
      assert.equal(await concurrent(handler), 1, "aborted but still running: still counted");
      latch.resolve();
      await until(async () => (await concurrent(handler)) === 0, "the place to be given back");
    } finally {
      latch.resolve();
      await handler.close();
    }
  });

  it("listening streams (GET, subscriptions/listen) hold no place while open", async () => {
    const handler = makeHandler({
      limits: { maxConcurrentRequests: 1 },
      streams: { heartbeatMs: 0 },
    });
    const stalled: Promise<Response>[] = [];
    try {
      const session = await initialize(handler);
      const get = await handler(
        bodilessRequest("GET", { sessionId: session.id, protocolVersion: session.protocolVersion }),
      );
      assert.equal(get.status, 200);
      const listen = await handler(
        modernRequest("subscriptions/listen", { notifications: { toolsListChanged: true } }),
      );
      assert.equal(listen.status, 200);
      assert.match(listen.headers.get("content-type") ?? "", /text\/event-stream/);
      assert.equal(await concurrent(handler), 0, "two open streams, no place held");
      const served = await handler(postRequest(initializeMessage()));
      assert.equal(served.status, 200, "the one place is free");
      await served.text();
      // Positive control: the cap of 1 is live.
      stalled.push(handler(stalledPost()));
      await until(async () => (await concurrent(handler)) === 1, "the stalled request to count");
      await assertHttpError(await handler(postRequest(initializeMessage())), 503);
      await get.body?.cancel();
      await listen.body?.cancel();
    } finally {
      await handler.close();
      await Promise.all(stalled);
    }
  });
});

describe("the fixture turns the guards on from its environment", () => {
  it("MAX_SESSIONS_PER_PRINCIPAL, MAX_ANONYMOUS_SESSIONS and MAX_CONCURRENT_REQUESTS_PER_PRINCIPAL", async () => {
    const handler = createEverythingHandler({
      SESSION_MAX: "8",
      MAX_SESSIONS_PER_PRINCIPAL: "3",
      MAX_ANONYMOUS_SESSIONS: "2",
      MAX_CONCURRENT_REQUESTS: "8",
      MAX_CONCURRENT_REQUESTS_PER_PRINCIPAL: "1",
    });
    const alice = { authorization: "Bearer alice" };
    let slow: Response | undefined;
    try {
      // Neither default (a quarter of 8 is 2, a sixteenth 1): read from the environment.
      await initialize(handler, { headers: alice });
      await initialize(handler, { headers: alice });
      const session = await initialize(handler, { headers: alice });
      await assertHttpError(
        await handler(postRequest(initializeMessage(), { headers: alice })),
        429,
        {
          code: -32004,
          message: /too many sessions/,
          id: 0,
        },
      );
      await initialize(handler);
      await initialize(handler);
      await assertHttpError(await handler(postRequest(initializeMessage())), 429, {
        code: -32004,
        message: /too many sessions/,
        id: 0,
      });
      // One slow call of alice's holds her one place of the pool.
      slow = await handler(postRequest(
        {
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "slow", arguments: { steps: 1, intervalMs: 60_000 } },
        },
        { sessionId: session.id, protocolVersion: session.protocolVersion, headers: alice },
      ));
      await assertHttpError(
        await handler(postRequest({ jsonrpc: "2.0", id: 2, method: "ping" }, {
          sessionId: session.id,
          protocolVersion: session.protocolVersion,
          headers: alice,
        })),
        429,
        { code: -32004, message: /requests in progress/, id: 2 },
      );
    } finally {
      await handler.close();
      await slow?.body?.cancel();
    }
  });

  it("without MAX_ANONYMOUS_SESSIONS, anonymous callers hold the library's sixteenth of SESSION_MAX; a named caller is still served", async () => {
    const handler = createEverythingHandler({ SESSION_MAX: "32" });
    try {
      for (let i = 0; i < 2; i++) await initialize(handler);
      const refused = await handler(postRequest(initializeMessage()));
      await assertHttpError(refused, 429, { code: -32004, id: 0 });
      assert.ok(refused.headers.get("retry-after") !== null);
      const alice = await handler(
        postRequest(initializeMessage(), { headers: { authorization: "Bearer alice" } }),
      );
      assert.equal(alice.status, 200, "another principal still gets a session");
      await alice.body?.cancel();
    } finally {
      await handler.close();
    }
  });

  it("REQUIRE_HEADER, RATE_LIMIT_PER_MINUTE and MAX_CONCURRENT_REQUESTS", async () => {
    const handler = createEverythingHandler({
      REQUIRE_HEADER: "x-csrf",
      RATE_LIMIT_PER_MINUTE: "6",
      MAX_CONCURRENT_REQUESTS: "3",
    });
    try {
      await assertHttpError(await handler(postRequest(initializeMessage())), 403);
      let limited = false;
      for (let i = 0; i < 5 && !limited; i++) {
        const response = await handler(
          postRequest(initializeMessage(), { headers: { "x-csrf": "1" } }),
        );
        limited = response.status === 429;
        await response.text();
      }
      assert.equal(limited, true, "6 per minute with a burst of 1 limits the second request");
      assert.equal((await handler.stats()).maxConcurrentRequests, 3);
    } finally {
      await handler.close();
    }
  });
});
