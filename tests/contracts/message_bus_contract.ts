/**
 * The contract every MessageBus meets, as a suite any implementation can
 * run: `describeMessageBus(name, factory)`. The factory connects buses of
 * one network (instances of one server); `failing`, when given, makes a bus
 * whose transport is down. Not a test file itself.
 * @module
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BusMessage, MessageBus } from "../../src/storage/mod.ts";
import { until } from "../helpers.ts";

/** What a contract run needs from an implementation. */
export interface BusFactory {
  /** `count` buses on one network (fresh for each test). */
  connected(count: number): Promise<MessageBus[]> | MessageBus[];
  /** A bus whose transport is down: publish must reject. */
  failing?(): Promise<MessageBus> | MessageBus;
  /** Releases what `connected` made. */
  cleanup?(): Promise<void>;
  /**
   * Makes `bus`'s instance use a session (what a request of it does: the
   * Redis session store's read-and-touch); a bus that sends every message
   * everywhere needs nothing.
   */
  use?(bus: MessageBus, sessionId: string): Promise<void>;
  /** True for a bus addressed to owners: a session's message reaches only its users. */
  addressed?: boolean;
}

function collector() {
  const received: BusMessage[] = [];
  return { received, listener: (message: BusMessage) => void received.push(message) };
}

/** Registers the MessageBus contract for `name`. */
export function describeMessageBus(name: string, factory: BusFactory): void {
  describe(`MessageBus contract: ${name}`, () => {
    const use = async (bus: MessageBus, ...sessionIds: string[]) => {
      for (const id of sessionIds) await factory.use?.(bus, id);
    };
    async function withBuses(count: number, body: (buses: MessageBus[]) => Promise<void>) {
      const buses = await factory.connected(count);
      try {
        await body(buses);
      } finally {
        await factory.cleanup?.();
      }
    }

    it("delivers a copy of what another instance published, ids typed as sent", async () => {
      await withBuses(2, async ([a, b]) => {
        const got = collector();
        await b.subscribe(got.listener);
        await use(b, "s1");
        const messages: BusMessage[] = [
          { type: "cancel", sessionId: "s1", requestId: 7 },
          { type: "cancel", sessionId: "s1", requestId: "7" },
          {
            type: "reply",
            sessionId: "s1",
            ownerKey: "user:alice",
            response: {
              jsonrpc: "2.0",
              id: "e-1",
              result: { action: "accept", text: "é ✓ \u0000" },
            },
          },
          { type: "broadcast", notification: { method: "notifications/tools/list_changed" } },
        ];
        for (const message of messages) await a.publish(message);
        await until(() => got.received.length === messages.length, "all four delivered");
        assert.deepEqual(got.received, messages);
        assert.notEqual(got.received[2], messages[2], "a copy, not the publisher's object");
      });
    });

    it("never delivers an instance's own messages to itself", async () => {
      await withBuses(2, async ([a, b]) => {
        const own = collector();
        const other = collector();
        await a.subscribe(own.listener);
        await b.subscribe(other.listener);
        await use(a, "s-own", "s-marker");
        await use(b, "s-own", "s-marker");
        await a.publish({ type: "session-ended", sessionId: "s-own" });
        await b.publish({ type: "session-ended", sessionId: "s-marker" });
        await until(() => other.received.length === 1 && own.received.length === 1, "delivered");
        assert.deepEqual(own.received, [{ type: "session-ended", sessionId: "s-marker" }]);
        assert.deepEqual(other.received, [{ type: "session-ended", sessionId: "s-own" }]);
      });
    });

    it("keeps each publisher's order and reaches every other instance", async () => {
      await withBuses(3, async ([a, b, c]) => {
        const atB = collector();
        const atC = collector();
        await b.subscribe(atB.listener);
        await c.subscribe(atC.listener);
        const sent: BusMessage[] = [];
        for (let i = 0; i < 200; i++) {
          sent.push({ type: "resource-updated", uri: `test://r/${i}` });
        }
        await Promise.all(sent.map((message) => a.publish(message)));
        await until(() => atB.received.length === 200 && atC.received.length === 200, "200 each");
        assert.deepEqual(atB.received, sent);
        assert.deepEqual(atC.received, sent);
      });
    });

    it("stops delivering to a listener once unsubscribed", async () => {
      await withBuses(2, async ([a, b]) => {
        const first = collector();
        const second = collector();
        const stop = await b.subscribe(first.listener);
        await b.subscribe(second.listener);
        await use(b, "s1", "s2");
        await a.publish({ type: "listening-taken", sessionId: "s1" });
        await until(() => first.received.length === 1 && second.received.length === 1, "both");
        stop();
        await a.publish({ type: "listening-taken", sessionId: "s2" });
        await until(() => second.received.length === 2, "the remaining listener gets it");
        assert.equal(first.received.length, 1);
      });
    });

    if (factory.addressed === true) {
      it("sends a session's message only to the instances that use it, the rest to all", async () => {
        await withBuses(3, async ([a, b, c]) => {
          const atB = collector();
          const atC = collector();
          await b.subscribe(atB.listener);
          await c.subscribe(atC.listener);
          await use(b, "s-b");
          await use(c, "s-c");
          await a.publish({ type: "cancel", sessionId: "s-b", requestId: 1 });
          await a.publish({ type: "notify", sessionId: "s-c", notification: { method: "n" } });
          await a.publish({ type: "cancel", sessionId: "s-nobody", requestId: 2 });
          await a.publish({ type: "resource-updated", uri: "test://everyone" });
          await until(() => atB.received.length === 2 && atC.received.length === 2, "delivered");
          assert.deepEqual(atB.received, [
            { type: "cancel", sessionId: "s-b", requestId: 1 },
            { type: "resource-updated", uri: "test://everyone" },
          ]);
          assert.deepEqual(atC.received, [
            { type: "notify", sessionId: "s-c", notification: { method: "n" } },
            { type: "resource-updated", uri: "test://everyone" },
          ]);
        });
      });
    }

    if (factory.failing !== undefined) {
      it("rejects a publish its transport cannot take (never drops it silently)", async () => {
        const bus = await factory.failing!();
        await assert.rejects(bus.publish({ type: "session-ended", sessionId: "s1" }));
      });
    }
  });
}
