/**
 * No Redis write commits after its caller was answered 503: a write held in
 * a paused Redis (`CLIENT PAUSE … ALL`: the connection stays, no answer
 * comes) past `commandTimeoutMs` fails as storage unavailable, and once
 * Redis wakes the held script writes nothing (it carries its deadline on
 * Redis's clock). Each write is read back on the backend's own connection,
 * which Redis serves in order, so the read comes after the held script ran
 * or refused. Before the fence every one of these writes committed on wake.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { StorageUnavailableError } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { describeRedis, itRedis, startRedis, type TestRedis } from "./redis_server.ts";

const COMMAND_TIMEOUT_MS = 200;
/** Well past the deadline, so the deadline answers and not Redis waking. */
const PAUSE_MS = 1_500;

type SessionRecord = Parameters<RedisBackend["sessionStore"]["create"]>[0];

function session(id: string, now: number): SessionRecord {
  return {
    id,
    ownerKey: "anonymous",
    protocolVersion: "2025-11-25",
    clientCapabilities: {},
    createdAt: now,
    expiresAt: now + 60_000,
  };
}

function isUnavailable(error: unknown): boolean {
  assert.ok(error instanceof StorageUnavailableError, `503, got ${String(error)}`);
  return true;
}

describeRedis("Redis writes past their deadline", () => {
  let redis: TestRedis;
  let backend: RedisBackend;

  before(async () => {
    redis = await startRedis();
    backend = await createRedisBackend(
      { url: redis.url },
      { commandTimeoutMs: COMMAND_TIMEOUT_MS, prefix: "late:", onError: () => {} },
    );
  });

  after(async () => {
    await backend?.close();
    await redis?.stop();
  });

  /**
   * Pauses Redis, runs `writes` (each must fail 503 while Redis sleeps), and
   * resolves once Redis serves again (a fresh connection's PING answers).
   */
  async function pausedWhile(writes: () => Promise<unknown>[]): Promise<void> {
    await redis.client.sendCommand(["CLIENT", "PAUSE", String(PAUSE_MS), "ALL"]);
    const failures = writes().map((write) => assert.rejects(write, isUnavailable));
    await Promise.all(failures);
    const probe = await redis.openConnection();
    try {
      assert.equal(await probe.sendCommand(["PING"]), "PONG");
    } finally {
      await probe.close();
    }
  }

  itRedis("a session's state write, a task, a DPoP claim: none commits after the 503", async () => {
    const now = Date.now();
    assert.equal(await backend.sessionStore.create(session("s1", now), 1_000, now), true);
    await backend.sessionStore.writeState("s1", "count", 1, 10_000);
    const task = {
      taskId: "t-late",
      ownerKey: "anonymous",
      status: "working" as const,
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs: 60_000,
      pollIntervalMs: 500,
    };
    const owner = { key: "alice", share: 100 };

    await pausedWhile(() => [
      backend.sessionStore.writeState("s1", "count", 2, 10_000),
      backend.sessionStore.create(session("s2", now), 1_000, now),
      backend.taskStore.create(task, 10),
      backend.dpopReplayStore.claim("proof-1", now + 60_000, now, owner),
    ]);

    assert.equal(await backend.sessionStore.readState("s1", "count"), 1, "the state write");
    assert.equal(await backend.sessionStore.get("s2", Date.now()), undefined, "the session");
    assert.equal(await backend.taskStore.get("t-late"), undefined, "the task");
    // The proof was never used: the client that was answered 503 may send it again.
    assert.equal(
      await backend.dpopReplayStore.claim("proof-1", now + 60_000, Date.now(), owner),
      true,
      "the DPoP claim",
    );
    // Positive control: the same writes in time commit.
    await backend.sessionStore.writeState("s1", "count", 2, 10_000);
    assert.equal(await backend.sessionStore.readState("s1", "count"), 2);
    assert.equal(await backend.taskStore.create(task, 10), true);
    assert.equal((await backend.taskStore.get("t-late"))?.status, "working");
  });

  itRedis("a stream's events: an append answered 503 is not in the log", async () => {
    const now = Date.now();
    assert.equal(await backend.sessionStore.create(session("s3", now), 1_000, now), true);
    await backend.eventLog.open("s3", "stream");
    const [first] = await backend.eventLog.appendMany!("s3", "stream", ["kept"]);

    await pausedWhile(() => [backend.eventLog.appendMany!("s3", "stream", ["late"])]);

    const replay = await backend.eventLog.replayAfter("s3", first);
    assert.deepEqual(replay?.events.map((event) => event.data), [], "nothing after the kept event");
    await backend.eventLog.appendMany!("s3", "stream", ["in time"]);
    const again = await backend.eventLog.replayAfter("s3", first);
    assert.deepEqual(again?.events.map((event) => event.data), ["in time"]);
  });
});
