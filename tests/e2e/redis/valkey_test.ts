/**
 * The Redis backend on Valkey (Debian's bookworm-backports `valkey-server`,
 * started like redis-server on a free loopback port): the session store,
 * event log, task store and bus contract suites, and one scenario across
 * instances (a session issued on one instance, its streamed call resumed on
 * the other with `Last-Event-ID`, to the call's result). In CI (`CI` set) a
 * missing valkey-server fails the file (.ci/run installs it); elsewhere the
 * file is skipped with a warning.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { RedisBus } from "../../../src/redis/bus/redis_bus.ts";
import { RedisEventLog } from "../../../src/redis/event_log/redis_event_log.ts";
import { RedisSessionStore } from "../../../src/redis/sessions/redis_session_store.ts";
import { RedisTaskStore } from "../../../src/redis/tasks/redis_task_store.ts";
import { describeEventLog } from "../../contracts/event_log_contract.ts";
import { describeMessageBus } from "../../contracts/message_bus_contract.ts";
import { describeSessionStore } from "../../contracts/session_store_contract.ts";
import { describeTaskStore } from "../../contracts/task_store_contract.ts";
import { rawGet, rawInitialize, type SseEvent, SseReader, WAIT_MS } from "../interop/helpers.ts";
import { bearer, CALL_ID, startSlowCall } from "./killed_writer.ts";
import { startRedis, type TestRedis } from "./redis_server.ts";

/** Why the Valkey suites cannot run here, or false (in CI a missing valkey-server throws). */
const valkeySkip: string | false = (() => {
  const probe = spawnSync("valkey-server", ["--version"], { stdio: "ignore" });
  if (probe.error === undefined && probe.status === 0) return false;
  const reason = "valkey-server is not installed (Debian: apt-get install -t bookworm-backports " +
    "valkey-server)";
  if (process.env.CI) throw new Error(`${reason}: the Valkey suites cannot run in CI`);
  console.warn(`\n*** SKIPPING the Valkey suites: ${reason} ***\n`);
  return reason;
})();

let valkey: TestRedis;
let n = 0;
before(async () => {
  if (valkeySkip === false) valkey = await startRedis({ binary: "valkey-server" });
});
after(async () => {
  await valkey?.stop();
});

describe("Valkey contracts", { skip: valkeySkip }, () => {
  it("the server is Valkey", async () => {
    const info = String(await valkey.client.sendCommand(["INFO", "server"]));
    assert.match(info, /valkey_version:/);
  });
  describeSessionStore(
    "RedisSessionStore on Valkey",
    () => new RedisSessionStore(valkey.client, { prefix: `v${++n}:` }),
    { getAndTouch: true },
  );
  describeEventLog(
    "RedisEventLog on Valkey",
    () =>
      new RedisEventLog(valkey.client, {
        prefix: `v${++n}:`,
        openConnection: () => valkey.openConnection(),
      }),
    {
      tailing: true,
      appendMany: true,
      bounded: (bounds) => new RedisEventLog(valkey.client, { prefix: `v${++n}:`, ...bounds }),
    },
  );
  describeTaskStore(
    "RedisTaskStore on Valkey",
    (now, bounds) => new RedisTaskStore(valkey.client, { prefix: `v${++n}:`, now, ...bounds }),
  );
  let buses: RedisBus[] = [];
  describeMessageBus("RedisBus on Valkey", {
    connected(count) {
      const prefix = `v${++n}:`;
      buses = Array.from(
        { length: count },
        () => new RedisBus(valkey.client, () => valkey.openConnection(), { prefix, blockMs: 200 }),
      );
      return buses;
    },
    failing: () =>
      new RedisBus(
        { sendCommand: () => Promise.reject(new Error("connection refused")) },
        () => valkey.openConnection(),
      ),
    async cleanup() {
      await Promise.all(buses.map((bus) => bus.close()));
    },
    use: (bus, sessionId) => (bus as RedisBus).hold(sessionId, 60_000),
    addressed: true,
  });
});

describe("Valkey across instances", { skip: valkeySkip }, () => {
  it("a session issued on A, its streamed call resumed on B, ends with the call's result", async () => {
    const prefix = `v${++n}:`;
    const instances = await Promise.all([0, 1].map(async () => {
      const backend = await createRedisBackend({ url: valkey.url }, { prefix, onError: () => {} });
      const handler = createEverythingHandler({}, backend);
      const server = await serveHandler(handler, 0);
      return { backend, handler, server, url: `${server.url}/mcp` };
    }));
    const [a, b] = instances;
    try {
      const session = await rawInitialize(a.url, { headers: bearer });
      const { reader: first, progress, lastEventId: lastId } = await startSlowCall(
        a.url,
        session,
        30,
      );
      await first.cancel(); // the client's connection to A drops

      const resumed = await rawGet(b.url, session, { headers: bearer, lastEventId: lastId });
      assert.equal(resumed.status, 200);
      const rest: SseEvent[] = await new SseReader(resumed.body).rest(WAIT_MS);
      const messages = rest.filter((event) => event.data !== "").map((event) =>
        JSON.parse(event.data)
      );
      const answer = messages.pop();
      assert.equal(answer.id, CALL_ID, "the resumed stream ends with the call's answer");
      assert.ok(answer.result !== undefined, JSON.stringify(answer));
      for (const message of messages) progress.push(message.params.progress);
      assert.deepEqual(
        progress,
        Array.from({ length: 30 }, (_, i) => i + 1),
        "every progress event, in order, once",
      );
    } finally {
      for (const { handler, server, backend } of instances) {
        await handler.close();
        await server.close();
        await backend.close();
      }
    }
  });
});
