/**
 * Followers of one stream share one Redis read loop, against a real
 * redis-server: however many resumes follow the same stream (each repeated
 * `Last-Event-ID` GET adds one), one blocking read serves them all, shown
 * by counting the commands Redis ran (`INFO commandstats`). Once each
 * follower had its own loop: 1,000 of them pushed Redis to ~70k ops/s.
 * Through the handler, 20 repeated `Last-Event-ID` GETs on instance B for a
 * stream A writes are woken by one read (counted at B's Redis client).
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { defineTool } from "../../../mod.ts";
import { RedisBus } from "../../../src/redis/bus/redis_bus.ts";
import type { RedisCommands } from "../../../src/redis/connection/redis_commands.ts";
import { RedisEventLog } from "../../../src/redis/event_log/redis_event_log.ts";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
import {
  deferred,
  initialize,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  resumeRequest,
  until,
} from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

/** Calls of each command since the last `CONFIG RESETSTAT`, from `INFO commandstats`. */
async function commandCalls(): Promise<Record<string, number>> {
  const text = String(await redis.client.sendCommand(["INFO", "commandstats"]));
  const calls: Record<string, number> = {};
  for (const match of text.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
    calls[match[1]] = Number(match[2]);
  }
  return calls;
}

/** Clients blocked in a command (XREAD BLOCK) right now. */
async function blockedClients(): Promise<number> {
  const text = String(await redis.client.sendCommand(["INFO", "clients"]));
  return Number(/blocked_clients:(\d+)/.exec(text)?.[1] ?? 0);
}

describeRedis("RedisEventLog: followers of one stream share one read loop", () => {
  itRedis(
    "50 followers of a quiet stream: one blocking read, and each gets the next event",
    async () => {
      const log = new RedisEventLog(redis.client, {
        prefix: `sf${++n}:`,
        openConnection: () => redis.openConnection(),
      });
      try {
        await log.open("s", "a");
        const first = await log.append("s", "a", "one");
        await redis.client.sendCommand(["CONFIG", "RESETSTAT"]);
        const followers = Array.from(
          { length: 50 },
          () => log.waitAfter("s", first, { timeoutMs: 20_000 }),
        );
        await until(async () => await blockedClients() >= 1, "a follower blocks in XREAD");
        const second = await log.append("s", "a", "two");
        for (const got of await Promise.all(followers)) {
          assert.deepEqual(got?.events, [{ id: second, data: "two" }]);
        }
        const calls = await commandCalls();
        const reads = (calls.xread ?? 0) + (calls.xrange ?? 0);
        assert.ok(
          reads <= 4,
          `Redis ran ${reads} reads for 50 followers: ${JSON.stringify(calls)}`,
        );
        assert.ok(await blockedClients() <= 1, "at most the one shared read still blocks");
      } finally {
        await log.close();
      }
    },
  );

  itRedis("a follower joining behind the shared read still gets what it has not seen", async () => {
    const log = new RedisEventLog(redis.client, {
      prefix: `sf${++n}:`,
      openConnection: () => redis.openConnection(),
    });
    try {
      await log.open("s", "a");
      const first = await log.append("s", "a", "one");
      const second = await log.append("s", "a", "two");
      const ahead = log.waitAfter("s", second, { timeoutMs: 20_000 });
      await until(async () => await blockedClients() >= 1, "the follower ahead blocks");
      const behind = await log.waitAfter("s", first, { timeoutMs: 20_000 });
      assert.deepEqual(
        behind?.events.map((e) => e.data),
        ["two"],
        "not held back by the read ahead",
      );
      const third = await log.append("s", "a", "three");
      assert.deepEqual((await ahead)?.events.map((e) => e.id), [third]);
    } finally {
      await log.close();
    }
  });

  itRedis("followers that stop or time out leave the others following", async () => {
    const log = new RedisEventLog(redis.client, {
      prefix: `sf${++n}:`,
      openConnection: () => redis.openConnection(),
    });
    try {
      const first = await log.append("s", "a", "one");
      const stop = new AbortController();
      const stopped = log.waitAfter("s", first, { timeoutMs: 20_000, signal: stop.signal });
      const quick = log.waitAfter("s", first, { timeoutMs: 20 });
      const staying = log.waitAfter("s", first, { timeoutMs: 20_000 });
      stop.abort();
      assert.deepEqual(await stopped, { streamId: "a", events: [], complete: false });
      assert.deepEqual(await quick, { streamId: "a", events: [], complete: false });
      await log.complete("s", "a");
      const end = await staying;
      assert.equal(end?.complete, true);
    } finally {
      await log.close();
    }
  });
});

/** Counts the blocking reads (XREAD) sent through `inner`, and those in flight. */
function counting<T extends RedisCommands>(inner: T, tally: { reads: number; blocked: number }): T {
  return {
    ...inner,
    sendCommand: async (args: string[]) => {
      const blocking = args[0] === "XREAD";
      if (blocking) tally.reads++;
      if (blocking) tally.blocked++;
      try {
        return await inner.sendCommand(args);
      } finally {
        if (blocking) tally.blocked--;
      }
    },
  };
}

describeRedis("repeated Last-Event-ID GETs on another instance", () => {
  itRedis(
    "20 resumes of one stream on B are served by one read loop, and each gets the result",
    async () => {
      const prefix = `sfh${++n}:`;
      const release = deferred();
      const hold = defineTool({
        name: "hold",
        handler: async (_input, ctx) => {
          await ctx.log("info", "started");
          await release.promise;
          return "held";
        },
      });
      const tally = { reads: 0, blocked: 0 };
      const buses: RedisBus[] = [];
      const make = (log: RedisEventLog) => {
        const bus = new RedisBus(redis.client, () => redis.openConnection(), { prefix });
        buses.push(bus);
        return makeHandler({
          tools: [hold],
          streams: {
            heartbeatMs: 0,
            eventLog: log,
          },
          sessions: { store: new RedisSessionStore(redis.client, { prefix }) },
          bus,
        });
      };
      const logA = new RedisEventLog(redis.client, {
        prefix,
        openConnection: () => redis.openConnection(),
      });
      const logB = new RedisEventLog(counting(redis.client, tally), {
        prefix,
        openConnection: async () => counting(await redis.openConnection(), tally),
      });
      const a = make(logA);
      const b = make(logB);
      const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
      try {
        const session = await initialize(a);
        const call = await a(postRequest(
          { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "hold" } },
          { sessionId: session.id, protocolVersion: session.protocolVersion },
        ));
        const first = call.body!.getReader();
        const { events } = await readSseUntil(first, (events) => messagesOf(events).length >= 1);
        const lastEventId = events.filter((event) => event.id !== undefined).at(-1)!.id!;
        tally.reads = 0;
        await first.cancel(); // the client left, and resumes on B, again and again
        for (let i = 0; i < 20; i++) {
          const resumed = await b(resumeRequest(session, lastEventId));
          assert.equal(resumed.status, 200);
          readers.push(resumed.body!.getReader());
        }
        await until(() => tally.blocked >= 1, "B follows the stream");
        release.resolve();
        for (const reader of readers) {
          const rest = await readSseUntil(
            reader,
            (events) => messagesOf(events).some((m) => m.id === 1),
          );
          assert.equal(
            messagesOf(rest.events).find((m) => m.id === 1)?.result?.content[0].text,
            "held",
          );
        }
        assert.ok(tally.reads <= 4, `B ran ${tally.reads} blocking reads for 20 followers`);
      } finally {
        release.resolve();
        for (const reader of readers) {
          await reader.cancel().catch(() => {});
        }
        await a.close();
        await b.close();
        await logA.close();
        await logB.close();
        for (const bus of buses) await bus.close();
      }
    },
  );
});
