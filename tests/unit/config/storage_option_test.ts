/**
 * `createMcpHandler({ storage })`: one backend fills every storage seam the
 * handler has (sessions, the event log, the bus, rate-limit budgets, used
 * DPoP proofs) unless that seam's own option is given; a value that is not
 * a backend is refused at startup, naming what it lacks, and does not
 * type-check. A backend of memory stores here; the Redis and Postgres
 * factories' results are checked against the type in their rooms.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMcpHandler, defineTool, type McpHandlerOptions } from "../../../mod.ts";
import {
  MemoryBus,
  MemoryDpopReplayStore,
  MemoryEventLog,
  MemoryRateLimitStore,
  MemorySessionStore,
  MemoryTaskStore,
  type StorageBackend,
} from "../../../src/storage/mod.ts";
import { withStorage } from "../../../src/config/apply_storage.ts";
import { connect } from "../../../src/testing/mod.ts";

function memoryBackend(): StorageBackend & { closed: boolean } {
  const backend = {
    sessionStore: new MemorySessionStore(),
    eventLog: new MemoryEventLog(),
    bus: new MemoryBus(),
    rateLimitStore: new MemoryRateLimitStore(),
    taskStore: new MemoryTaskStore(),
    dpopReplayStore: new MemoryDpopReplayStore(),
    closed: false,
    sweep: () => Promise.resolve(),
    close: () => {
      backend.closed = true;
      return Promise.resolve();
    },
  };
  return backend;
}

const BASE = { name: "app", version: "1.0.0" } as const;

describe("the storage option", () => {
  it("keeps a session in the backend's session store", async () => {
    const storage = memoryBackend();
    const handler = createMcpHandler({
      ...BASE,
      tools: [defineTool({ name: "ping", handler: () => "pong" })],
      storage,
    });
    const client = await connect(handler, { era: "2025" });
    try {
      assert.equal(await storage.sessionStore.size(), 1, "the session is in the backend's store");
      const { result } = await client.callTool("ping");
      assert.deepEqual(result.content, [{ type: "text", text: "pong" }]);
    } finally {
      await client.close();
      await handler.close();
    }
    assert.equal(storage.closed, false, "the handler closes no backend: its owner does");
  });

  it("fills each seam left unset, and only when its feature is on", () => {
    const storage = memoryBackend();
    const plain = withStorage({ ...BASE, storage });
    assert.equal(plain.sessions?.store, storage.sessionStore);
    assert.equal(plain.streams?.eventLog, storage.eventLog);
    assert.equal(plain.bus, storage.bus);
    assert.equal(plain.limits?.rateLimits, undefined, "rate limits stay off");
    assert.equal(plain.auth?.oauth, undefined, "no OAuth appears");

    const options: McpHandlerOptions = {
      ...BASE,
      storage,
      limits: { rateLimits: { perPrincipal: { limit: 10, windowSeconds: 1 } } },
      auth: {
        oauth: {
          resource: "https://mcp.example.com/mcp",
          authorizationServers: ["https://auth.example.com"],
          verifyAccessToken: () => Promise.reject(new Error("not called")),
          dpop: { mode: "required" },
        },
      },
    };
    const limited = withStorage(options);
    assert.equal(limited.limits?.rateLimits?.store, storage.rateLimitStore);
    assert.equal(limited.auth?.oauth?.dpop?.replayStore, storage.dpopReplayStore);
    assert.equal(limited.limits?.rateLimits?.perPrincipal?.limit, 10, "the rest is kept");
  });

  it("a seam's own option wins over the backend's", () => {
    const storage = memoryBackend();
    const own = new MemorySessionStore();
    const bus = new MemoryBus();
    const resolved = withStorage({ ...BASE, storage, sessions: { store: own }, bus });
    assert.equal(resolved.sessions?.store, own);
    assert.equal(resolved.bus, bus);
    assert.equal(resolved.streams?.eventLog, storage.eventLog);
  });

  it("refuses what is not a backend at startup, naming what is missing", () => {
    const { bus: _bus, close: _close, ...partial } = memoryBackend();
    assert.throws(
      // @ts-expect-error: a backend without its bus and close is not a StorageBackend
      () => createMcpHandler({ ...BASE, storage: partial }),
      (error: Error) =>
        error instanceof TypeError &&
        /Option storage must be a StorageBackend/.test(error.message) &&
        /missing: bus, close/.test(error.message),
    );
    assert.throws(
      // @ts-expect-error: a URL is not a backend
      () => createMcpHandler({ ...BASE, storage: "redis://127.0.0.1:6379" }),
      /missing: every seam/,
    );
  });
});
