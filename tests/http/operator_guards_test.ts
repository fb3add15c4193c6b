/**
 * The operators' guards of seed 001, each off by default: requireHeader
 * (403), rateLimit before authenticate (429 + Retry-After; the token bucket
 * refills on an injected clock and remembers a bounded number of keys), and
 * maxConcurrentRequests (503 + Retry-After; a streamed POST counts until its
 * stream ends). The fixture turns each on from its environment.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool, tokenBucket } from "../../mod.ts";
import { createEverythingHandler } from "../../examples/everything.ts";
import {
  assertHttpError,
  deferred,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  readTextUntil,
  until,
} from "../helpers.ts";

describe("requireHeader", () => {
  it("a request without the header is 403 (any method); with it, served", async () => {
    const handler = makeHandler({ requireHeader: "X-MCP-Client" });
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

  it("a name that is not a header name is refused at startup", () => {
    assert.throws(() => makeHandler({ requireHeader: "bad header" }), TypeError);
  });
});

describe("rateLimit", () => {
  it("is consulted before authenticate: a limited request never reaches it", async () => {
    let authentications = 0;
    const clock = { time: 0 };
    const handler = makeHandler({
      rateLimit: tokenBucket({ perMinute: 60, burst: 2, key: () => "one", now: () => clock.time }),
      authenticate: () => {
        authentications++;
        return { id: "alice" };
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
    assert.throws(() => tokenBucket({ perMinute: 0, key: () => "" }), RangeError);
  });
});

describe("maxConcurrentRequests", () => {
  it("refuses past the cap with 503 + Retry-After; a streamed call counts until its stream ends", async () => {
    const release = deferred();
    const handler = makeHandler({
      maxConcurrentRequests: 2,
      heartbeatMs: 0,
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
      await assertHttpError(refused, 503);
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

describe("the fixture turns the guards on from its environment", () => {
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
