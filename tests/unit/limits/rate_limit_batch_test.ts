/**
 * `rateLimits.perPrincipal` counts every request of a 2025-03-26 batch: a
 * batch that fits spends one unit per request (its notifications none) and
 * runs; one that does not fit is refused whole (429, nothing runs, nothing
 * spent); one larger than the whole budget is refused without a
 * `Retry-After`. Stores spend a batch's units all or none.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../mod.ts";
import { MemoryRateLimitStore } from "../../../src/storage/mod.ts";
import {
  assertHttpError,
  initialize,
  makeHandler,
  postRequest,
  readAnswer,
  TestClock,
  type TestSession,
} from "../../helpers.ts";

const runs: string[] = [];
const echo = defineTool({
  name: "echo",
  description: "Counts its runs",
  handler: () => {
    runs.push("echo");
    return "ran";
  },
});

function handlerWith(limit: number) {
  const clock = new TestClock(1_700_000_000_000);
  const handler = makeHandler({
    tools: [echo],
    now: clock.now,
    auth: {
      authenticate: (request) => ({ id: request.headers.get("x-user") ?? "anonymous" }),
    },
    limits: { rateLimits: { perPrincipal: { limit, windowSeconds: 60 } } },
  });
  return { handler, clock };
}

/** A batch of `calls` echo calls (ids `c0`…) and `notifications` notifications. */
function batch(calls: number, notifications = 0): unknown[] {
  const messages: unknown[] = [];
  for (let i = 0; i < calls; i++) {
    messages.push({
      jsonrpc: "2.0",
      id: `c${i}`,
      method: "tools/call",
      params: { name: "echo", arguments: {} },
    });
  }
  for (let i = 0; i < notifications; i++) {
    messages.push({ jsonrpc: "2.0", method: "notifications/initialized" });
  }
  return messages;
}

function send(
  handler: ReturnType<typeof handlerWith>["handler"],
  session: TestSession,
  body: unknown,
) {
  return handler(postRequest(body, {
    sessionId: session.id,
    protocolVersion: session.protocolVersion,
    headers: session.headers,
  }));
}

async function aliceOn(handler: ReturnType<typeof handlerWith>["handler"]) {
  return await initialize(handler, {
    protocolVersion: "2025-03-26",
    headers: { "x-user": "alice" },
  });
}

describe("rateLimits.perPrincipal: a 2025-03-26 batch counts each request", () => {
  it("a batch within the budget runs and spends one unit per request (notifications none)", async () => {
    runs.length = 0;
    const { handler } = handlerWith(6); // initialize spends one: five left
    try {
      const alice = await aliceOn(handler);
      const served = await readAnswer(await send(handler, alice, batch(3, 2)));
      assert.equal(served.status, 200);
      const answers = served.messages.flat();
      assert.deepEqual(answers.map((answer) => answer.id).sort(), ["c0", "c1", "c2"]);
      assert.deepEqual(runs, ["echo", "echo", "echo"]);
      assert.match(served.response.headers.get("ratelimit") ?? "", /^"principal";r=2;/);
      // Two units left: a batch of two fits exactly, then a single call does not.
      assert.equal((await readAnswer(await send(handler, alice, batch(2)))).status, 200);
      await assertHttpError(await send(handler, alice, batch(1)[0]), 429, {
        code: -32004,
        id: "c0",
      });
      assert.equal(runs.length, 5);
    } finally {
      await handler.close();
    }
  });

  it("a batch over what is left is refused whole: 429 -32004, nothing runs, nothing is spent", async () => {
    runs.length = 0;
    const { handler, clock } = handlerWith(5); // initialize spends one: four left
    try {
      const alice = await aliceOn(handler);
      const refused = await send(handler, alice, batch(5));
      assert.equal(refused.headers.get("retry-after"), "12", "one unit back after 60 s / 5");
      assert.equal(refused.headers.get("ratelimit-policy"), '"principal";q=5;w=60');
      await assertHttpError(refused, 429, { code: -32004, message: /principal rate limit/ });
      assert.deepEqual(runs, [], "nothing in the refused batch ran");
      // The refusal spent nothing: the four units are all there.
      assert.equal((await readAnswer(await send(handler, alice, batch(4)))).status, 200);
      assert.equal(runs.length, 4);
      await assertHttpError(await send(handler, alice, batch(1)), 429, { code: -32004 });
      clock.advance(12_000);
      assert.equal((await readAnswer(await send(handler, alice, batch(1)))).status, 200);
    } finally {
      await handler.close();
    }
  });

  it("a batch larger than the whole budget never fits: 429 without Retry-After, naming the bound", async () => {
    runs.length = 0;
    const { handler } = handlerWith(5);
    try {
      const alice = await aliceOn(handler);
      const refused = await send(handler, alice, batch(64));
      assert.equal(refused.headers.get("retry-after"), null);
      assert.equal(refused.headers.get("ratelimit-policy"), '"principal";q=5;w=60');
      await assertHttpError(refused, 429, {
        code: -32004,
        message: /64 requests, over the caller's principal rate limit of 5/,
      });
      assert.deepEqual(runs, []);
      // Nothing was spent: the rest of the budget still serves.
      assert.equal((await readAnswer(await send(handler, alice, batch(4)))).status, 200);
    } finally {
      await handler.close();
    }
  });

  it("a batch of only notifications spends nothing, as a single notification", async () => {
    const { handler } = handlerWith(2);
    try {
      const alice = await aliceOn(handler);
      for (let i = 0; i < 3; i++) {
        assert.equal((await send(handler, alice, batch(0, 3))).status, 202);
      }
      assert.equal((await readAnswer(await send(handler, alice, batch(1)))).status, 200);
    } finally {
      await handler.close();
    }
  });
});

describe("MemoryRateLimitStore: several units at once", () => {
  it("spends them all or none", async () => {
    const store = new MemoryRateLimitStore();
    const quota = { limit: 4, windowSeconds: 60 };
    const three = await store.take("k", quota, 0, 3);
    assert.deepEqual([three.ok, three.remaining], [true, 1]);
    const two = await store.take("k", quota, 0, 2);
    assert.deepEqual([two.ok, two.retryAfterMs], [false, 15_000], "one more unit is 15 s away");
    const one = await store.take("k", quota, 0);
    assert.deepEqual([one.ok, one.remaining], [true, 0], "the refusal spent nothing");
  });
});
