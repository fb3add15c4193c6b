/**
 * Storage faults are told once per outage: StorageOutages (an injected
 * clock, no sleeping) reports the first failure of a place and the first
 * success after it, counts the failures between, keeps places apart, and
 * marks what it counted so the handler's `onError` does not tell it again;
 * a handler whose store reports through it tells `onError` nothing per
 * refused request while every request still fails closed with 503. Also the
 * Cluster hash slot the Redis backend names a failed command's master by.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../mod.ts";
import {
  MemorySessionStore,
  type SessionStore,
  StorageOutageError,
  StorageOutages,
  StorageRecoveredError,
  StorageUnavailableError,
} from "../../src/storage/mod.ts";
import { toldInOutage } from "../../src/storage_outages.ts";
import { slotOf } from "../../src/redis/connection/cluster_slot.ts";
import { initialize, makeHandler, postRequest } from "../helpers.ts";

describe("StorageOutages: once per outage, once on recovery", () => {
  it("reports the first failure and the first success after it, counting the failures between", () => {
    const notices: Error[] = [];
    let clock = 1_000;
    const outages = new StorageOutages((notice) => notices.push(notice), () => clock);
    const first = new StorageUnavailableError("Redis is unreachable (EVALSHA)", {
      cause: new Error("The client is offline"),
    });
    outages.failed("redis://127.0.0.1:6379", "session store", first);
    for (let i = 0; i < 9; i++) {
      clock += 100;
      outages.failed("redis://127.0.0.1:6379", "bus", new StorageUnavailableError("down"));
    }
    assert.equal(notices.length, 1, "one report for ten failures");
    const outage = notices[0];
    assert.ok(outage instanceof StorageOutageError);
    assert.equal(outage.where, "redis://127.0.0.1:6379");
    assert.equal(outage.seam, "session store");
    assert.match(
      outage.message,
      /redis:\/\/127\.0\.0\.1:6379 is unreachable \(session store: StorageUnavailableError: Redis is unreachable \(EVALSHA\) \(Error: The client is offline\)\)/,
    );
    assert.equal(outage.stack, `StorageOutageError: ${outage.message}`, "one line, no frames");
    assert.equal(outages.anyOut, true);

    clock = 4_500;
    outages.answered("redis://127.0.0.1:6379");
    outages.answered("redis://127.0.0.1:6379"); // no outage any more: nothing
    assert.equal(notices.length, 2);
    const recovered = notices[1];
    assert.ok(recovered instanceof StorageRecoveredError);
    assert.equal(recovered.failures, 10);
    assert.equal(recovered.durationMs, 3_500);
    assert.match(recovered.message, /answers again after 3\.5 s and 10 refused commands$/);
    assert.equal(outages.anyOut, false);

    // The next failure opens a new outage, reported again.
    outages.failed("redis://127.0.0.1:6379", "event log", new Error("again"));
    assert.equal(notices.length, 3);
    assert.ok(notices[2] instanceof StorageOutageError);
  });

  it("keeps places apart: one master out, another answering, ends nothing", () => {
    const notices: Error[] = [];
    const outages = new StorageOutages((notice) => notices.push(notice), () => 0);
    outages.failed("127.0.0.1:7001", "session store", new Error("timeout"));
    for (let i = 0; i < 5; i++) {
      outages.answered("127.0.0.1:7000");
      outages.failed("127.0.0.1:7001", "session store", new Error("timeout"));
    }
    assert.deepEqual(notices.map((notice) => notice.name), ["StorageOutageError"]);
    assert.deepEqual(outages.out(), ["127.0.0.1:7001"]);
    outages.failed("127.0.0.1:7002", "bus", new Error("timeout"));
    outages.answered("127.0.0.1:7001");
    assert.deepEqual(notices.map((notice) => notice.name), [
      "StorageOutageError",
      "StorageOutageError",
      "StorageRecoveredError",
    ]);
    assert.equal((notices[2] as StorageRecoveredError).where, "127.0.0.1:7001");
    assert.deepEqual(outages.out(), ["127.0.0.1:7002"]);
  });

  it("an uncounted failure (a reconnect attempt) opens an outage but refuses no command", () => {
    const notices: Error[] = [];
    const outages = new StorageOutages((notice) => notices.push(notice), () => 0);
    outages.failed("redis://h:1", "connection", new Error("ECONNREFUSED"), false);
    outages.failed("redis://h:1", "connection", new Error("ECONNREFUSED"), false);
    outages.answered("redis://h:1");
    assert.deepEqual(notices.map((notice) => notice.name), [
      "StorageOutageError",
      "StorageRecoveredError",
    ]);
    assert.match(notices[1].message, /and 0 refused commands$/);
  });

  it("marks what it counted (and errors wrapping it) as told; a throwing report breaks nothing", () => {
    const outages = new StorageOutages(() => {
      throw new Error("logger down");
    });
    const counted = new StorageUnavailableError("down");
    outages.failed("x", "bus", counted);
    assert.equal(toldInOutage(counted), true);
    assert.equal(toldInOutage(new Error("wrapped", { cause: counted })), true);
    assert.equal(toldInOutage(new StorageUnavailableError("another")), false);
    assert.equal(toldInOutage("a string"), false);
  });

  it("shortens a long message and hides nothing but length", () => {
    const notices: Error[] = [];
    const outages = new StorageOutages((notice) => notices.push(notice));
    outages.failed("x", "bus", new Error("y".repeat(1_000)));
    assert.ok(notices[0].message.length < 400, notices[0].message);
  });
});

describe("a handler whose store reports its outages", () => {
  it("tells onError nothing per refused request; every request still fails closed with 503", async () => {
    const errors: unknown[] = [];
    const notices: Error[] = [];
    const outages = new StorageOutages((notice) => notices.push(notice), () => 0);
    const memory = new MemorySessionStore();
    let down = false;
    // A store of one's own that reports through StorageOutages, as the Redis backend does.
    const store = new Proxy(memory, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          if (down) {
            const error = new StorageUnavailableError(`sessions down (${String(name)})`);
            outages.failed("sessions-db", "session store", error);
            throw error;
          }
          const result = await value.apply(target, args);
          outages.answered("sessions-db");
          return result;
        };
      },
    }) as SessionStore;
    const handler = makeHandler({
      sessions: { store },
      observe: { onError: (error) => errors.push(error) },
      tools: [defineTool({ name: "ping", handler: () => "pong" })],
    });
    try {
      const session = await initialize(handler);
      down = true;
      const call = (id: number) =>
        handler(postRequest({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "ping", arguments: {} },
        }, { sessionId: session.id, protocolVersion: session.protocolVersion }));
      for (let id = 1; id <= 5; id++) {
        const refused = await call(id);
        assert.equal(refused.status, 503);
        assert.equal(refused.headers.get("retry-after"), "1");
        assert.equal(
          (await refused.json()).error.message,
          "Service Unavailable: session storage is unreachable",
        );
      }
      down = false;
      assert.equal((await call(6)).status, 200);
      assert.deepEqual(errors, [], "no stack per refused request");
      assert.deepEqual(notices.map((notice) => notice.name), [
        "StorageOutageError",
        "StorageRecoveredError",
      ]);
      assert.match(notices[1].message, /after 0\.0 s and 5 refused commands$/);
    } finally {
      await handler.close();
    }
  });
});

describe("slotOf: the Cluster hash slot", () => {
  it("matches Redis's CLUSTER KEYSLOT, hash tags included", () => {
    assert.equal(slotOf("foo"), 12182);
    assert.equal(slotOf("123456789"), 0x31c3 % 16384);
    assert.equal(slotOf("tether:s:{abc}:state"), slotOf("abc"));
    assert.equal(slotOf("a{}b"), slotOf("a{}b"), "an empty tag hashes the whole key");
    assert.notEqual(slotOf("a{}b"), slotOf(""));
    assert.equal(slotOf("{user1000}.following"), slotOf("{user1000}.followers"));
  });
});
