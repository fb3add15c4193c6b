/**
 * The SSE heartbeat's keep-alive (SessionManager.keepAlive) on a store that counts its calls: a
 * live session is touched each beat (its owner read once), and a session a beat found gone (ended
 * elsewhere while its stream stays open here) is not touched, nor read, again.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemorySessionStore } from "../../../../src/storage/sessions/memory_session_store.ts";
import { SessionManager } from "../../../../src/legacy/sessions/session_manager.ts";

/** A memory store that counts each call by method and session id. */
function countingStore() {
  const store = new MemorySessionStore();
  const calls: string[] = [];
  const counted = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (["get", "touch", "getAndTouch"].includes(String(name))) {
          calls.push(`${String(name)} ${args[0]}`);
        }
        return value.apply(target, args);
      };
    },
  });
  return { store: counted, calls };
}

describe("SessionManager.keepAlive", () => {
  it("a session found gone is not touched again; a live one still is", async () => {
    const { store, calls } = countingStore();
    let now = 1_000_000;
    const manager = new SessionManager(store, {
      idleTtlMs: 60_000,
      absoluteTtlMs: 600_000,
      maxSessions: 100,
      maxSessionsPerPrincipal: Infinity,
      maxAnonymousSessions: 100,
      retryAfterSeconds: 1,
      maxStateBytes: 65_536,
      now: () => now,
      generateId: () => "unused",
      sweepWhenFull: () => Promise.resolve(),
    });
    const record = (id: string) => ({
      id,
      ownerKey: "user:alice",
      protocolVersion: "2025-11-25",
      clientCapabilities: {},
      createdAt: now,
      expiresAt: now + 60_000,
    });
    assert.equal(await store.create(record("live"), 10, now), true);
    assert.equal(await store.create(record("ended"), 10, now), true);
    const errors: unknown[] = [];
    const beat = async () => {
      calls.length = 0;
      now += 15_000;
      await manager.keepAlive(["live", "ended"], (error) => errors.push(error));
      return [...calls];
    };
    await beat(); // reads both owners
    await store.delete("ended"); // ended on another instance; its stream stays open here
    const found = await beat();
    assert.ok(found.some((call) => call.endsWith(" ended")), "this beat finds it gone");
    for (let i = 0; i < 3; i++) {
      const later = await beat();
      assert.deepEqual(later.filter((call) => call.endsWith(" ended")), [], `beat ${i + 3}`);
      assert.ok(later.some((call) => call.endsWith(" live")), "the live one is still touched");
    }
    assert.equal((await store.get("live", now))?.expiresAt, now + 60_000, "kept alive");
    assert.deepEqual(errors, []);
  });
});
