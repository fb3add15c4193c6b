/**
 * `createMcpHandler({ storage })` on real Redis: two instances, each given
 * its own `createRedisBackend` on one Redis as `storage` and nothing else,
 * share sessions (a session opened on A is served by B) and, with DPoP on,
 * one replay store (no startup refusal for a shared deployment without
 * one). Both factories' results are `StorageBackend`s (checked by type).
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createMcpHandler, defineTool, type McpHandler, type OAuthOptions } from "../../../mod.ts";
import type { StorageBackend } from "../../../src/storage/mod.ts";
import type { PostgresBackend } from "../../../src/postgres/mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { connect } from "../../../src/testing/mod.ts";
import { describeRedis, itRedis, startRedis, type TestRedis } from "./redis_server.ts";

/** OAuth with DPoP required; no token is ever checked here (nothing is called). */
const DPOP_REQUIRED: OAuthOptions = {
  resource: "https://mcp.example.com/mcp",
  authorizationServers: ["https://auth.example.com"],
  verifyAccessToken: () => Promise.reject(new Error("not called")),
  dpop: { mode: "required" },
};

// Both engines' backends are storage backends (a type error otherwise).
const _redisFace = (backend: RedisBackend): StorageBackend => backend;
const _postgresFace = (backend: PostgresBackend): StorageBackend => backend;

describeRedis("the storage option on Redis", () => {
  let redis: TestRedis;
  const backends: RedisBackend[] = [];
  const handlers: McpHandler[] = [];

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    for (const handler of handlers) await handler.close();
    for (const backend of backends) await backend.close();
    await redis?.stop();
  });

  /** An instance with its own backend on the shared Redis, given only as `storage`. */
  async function instance(name: string): Promise<McpHandler> {
    const storage = await createRedisBackend({ url: redis.url }, { prefix: "storage-option:" });
    backends.push(storage);
    const handler = createMcpHandler({
      name: "app",
      version: "1.0.0",
      tools: [defineTool({ name: "whoami", handler: () => name })],
      storage,
    });
    handlers.push(handler);
    return handler;
  }

  itRedis("a session opened on one instance is served by the other", async () => {
    const a = await instance("A");
    const b = await instance("B");
    let target = a;
    const client = await connect((request) => target(request), { era: "2025" });
    try {
      target = b;
      const { result } = await client.callTool("whoami");
      assert.deepEqual(result.content, [{ type: "text", text: "B" }]);
      assert.equal(await backends[0].sessionStore.size(), 1, "one session, in Redis");
    } finally {
      await client.close();
    }
  });

  itRedis(
    "with DPoP on, the backend's replay store is used: a shared deployment starts",
    async () => {
      const storage = await createRedisBackend({ url: redis.url }, { prefix: "storage-option:" });
      backends.push(storage);
      const handler = createMcpHandler({
        name: "app",
        version: "1.0.0",
        storage,
        auth: {
          oauth: DPOP_REQUIRED,
        },
      });
      handlers.push(handler);
      // Positive control: the same deployment given its seams one by one, without the replay
      // store, is refused at startup.
      assert.throws(
        () =>
          createMcpHandler({
            name: "app",
            version: "1.0.0",
            sessions: { store: storage.sessionStore },
            bus: storage.bus,
            auth: {
              oauth: DPOP_REQUIRED,
            },
          }),
        /replayStore must be set/,
      );
    },
  );
});
