/**
 * The `rateLimits` budgets in Redis, against a real redis-server: the Redis
 * store meets the RateLimitStore contract, two handlers (two instances) on
 * one Redis spend one budget, and a Redis that went away answers 503 +
 * Retry-After (reported to onError once), never lets a request through.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { RedisRateLimitStore } from "../../../src/redis/limits/redis_rate_limit_store.ts";
import { describeRateLimitStore } from "../../contracts/rate_limit_store_contract.ts";
import { assertHttpError, readAnswer, TestClock } from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";
import {
  describeRedis,
  itRedis,
  redisSkip,
  startRedis,
  startRestartableRedis,
  type TestRedis,
} from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

describeRedis("Redis contracts", () =>
  describeRateLimitStore(
    "RedisRateLimitStore",
    () => new RedisRateLimitStore(redis.client, { prefix: `rl${++n}:` }),
  ));

const echo = defineTool({
  name: "echo",
  description: "Echoes",
  handler: () => ({ content: [{ type: "text" as const, text: "ok" }] }),
});

function instance(options: Parameters<typeof createMcpHandler>[0]): McpHandler {
  return createMcpHandler({ ...options, observe: { onError: () => {}, ...options?.observe } });
}

/** A 2026-07-28 tools/call of `echo` as `user` (id 7). */
function call(user: string): Request {
  return modernRequest("tools/call", { name: "echo", arguments: {} }, {
    id: 7,
    headers: { "x-user": user },
  });
}

const authenticate = (request: Request) => {
  const user = request.headers.get("x-user");
  return user === null ? undefined : { id: user };
};

itRedis(
  "two instances on one Redis spend one budget per principal, and a refill serves again",
  async () => {
    const clock = new TestClock(1_700_000_000_000);
    const store = new RedisRateLimitStore(redis.client, { prefix: `rl${++n}:` });
    const options = {
      name: "app",
      version: "1.0.0",
      tools: [echo],
      auth: {
        authenticate,
      },
      now: clock.now,
      limits: {
        rateLimits: { perPrincipal: { limit: 2, windowSeconds: 60 }, store },
      },
    };
    const first = instance(options);
    const second = instance(options);
    try {
      assert.equal(
        (await readAnswer(await first(call("alice")))).message.result.content[0].text,
        "ok",
      );
      assert.equal(
        (await readAnswer(await second(call("alice")))).message.result.content[0].text,
        "ok",
      );
      // The budget of 2 is spent across both instances: either one refuses the third.
      const refused = await second(call("alice"));
      assert.equal(refused.headers.get("retry-after"), "30");
      assert.equal(refused.headers.get("ratelimit-policy"), '"principal";q=2;w=60');
      assert.equal(refused.headers.get("ratelimit"), '"principal";r=0;t=30');
      await assertHttpError(refused, 429, { code: -32004, id: 7, message: /principal rate limit/ });
      assert.equal((await first(call("alice"))).status, 429);
      // Another principal has its own budget.
      assert.equal((await first(call("bob"))).status, 200);
      clock.advance(30_000);
      assert.equal((await second(call("alice"))).status, 200, "one unit back after 30 s");
      assert.equal((await first(call("alice"))).status, 429);
    } finally {
      await first.close();
      await second.close();
    }
  },
);

itRedis(
  "keys are bounded and expire: a long principal id is hashed, the key has a TTL",
  async () => {
    const prefix = `rl${++n}:`;
    const store = new RedisRateLimitStore(redis.client, { prefix });
    const handler = instance({
      name: "app",
      version: "1.0.0",
      tools: [echo],
      auth: {
        authenticate,
      },
      limits: {
        rateLimits: { perPrincipal: { limit: 5, windowSeconds: 60 }, store },
      },
    });
    try {
      assert.equal((await handler(call("x".repeat(5_000)))).status, 200);
      const keys = await redis.client.sendCommand(["KEYS", `${prefix}*`]) as string[];
      assert.equal(keys.length, 1);
      assert.ok(keys[0].length < 120, `key ${keys[0]} is bounded`);
      const ttl = Number(await redis.client.sendCommand(["PTTL", keys[0]]));
      assert.ok(ttl > 0 && ttl <= 12_000, `expires when the budget is full again (${ttl} ms)`);
    } finally {
      await handler.close();
    }
  },
);

itRedis(
  "Redis down: 503 + Retry-After, reported to onError once per outage, the tool never runs",
  async () => {
    const server = await startRestartableRedis();
    const errors: unknown[] = [];
    const backend = await createRedisBackend({ url: server.url }, {
      prefix: `rl${++n}:`,
      commandTimeoutMs: 1_000,
      onError: (error) => errors.push(error), // the outage is told here, once
    });
    let runs = 0;
    const counted = defineTool({
      name: "echo",
      description: "Counts",
      handler: () => {
        runs++;
        return { content: [{ type: "text" as const, text: "ok" }] };
      },
    });
    const handler = createMcpHandler({
      name: "app",
      version: "1.0.0",
      tools: [counted],
      auth: {
        authenticate,
      },
      observe: {
        onError: (error) => errors.push(error),
      },
      limits: {
        rateLimits: {
          perTool: { default: { limit: 100, windowSeconds: 60 } },
          store: backend.rateLimitStore,
        },
      },
    });
    try {
      assert.equal((await handler(call("alice"))).status, 200);
      assert.equal(runs, 1);
      await server.kill();
      for (let i = 0; i < 3; i++) {
        const refused = await handler(call("alice"));
        assert.equal(refused.headers.get("retry-after"), "1");
        await assertHttpError(refused, 503, { code: -32603, id: 7, message: /rate limit store/ });
      }
      assert.equal(runs, 1, "no call ran while the store was down");
      assert.deepEqual(
        errors.map((error) => (error as Error).name),
        ["StorageOutageError"],
        "one report per outage, to the backend's onError (the handler's is not told it again)",
      );
    } finally {
      await handler.close();
      await backend.close();
      await server.stop();
    }
  },
);
