/**
 * A Redis outage is told once, and its end once, not a stack per refused
 * request: against a real redis-server killed mid-test (then started again
 * on its port), and a real Redis Cluster with one master killed (its
 * replica takes over). Requests meanwhile fail closed exactly as before
 * (`503` + `Retry-After`); the handler's `onError` and the backend's
 * `onError` (one array here) get one `StorageOutageError` naming the server
 * and the seam, then one `StorageRecoveredError`, and nothing per request.
 * On the Cluster each master is its own place: the killed one is told out
 * once and back once (when its replica serves its slots); another told out
 * while the Cluster answers CLUSTERDOWN during the failover is told back too.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createMcpHandler, defineTool, type Principal } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import type { RedisSource } from "../../../src/redis/connection/redis_sources.ts";
import { StorageOutageError, StorageRecoveredError } from "../../../src/storage/mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { readAnswer, until } from "../../helpers.ts";
import { rawInitialize, rawPost } from "../interop/helpers.ts";
import { describeRedis, itRedis, redisSkip, startRestartableRedis } from "./redis_server.ts";
import {
  redisCli,
  type RigNode,
  startRedisCluster,
  type TestRedisCluster,
} from "../../../scripts/redis_topologies.ts";

const bearer = { authorization: "Bearer alice" };

/** One instance on `source`: the handler's and the backend's reports both go to `errors`. */
async function instance(source: RedisSource, prefix: string, errors: unknown[]) {
  const backend: RedisBackend = await createRedisBackend(source, {
    prefix,
    onError: (error) => errors.push(error),
    commandTimeoutMs: 500,
    connectTimeoutMs: 5_000,
    bus: { blockMs: 500 },
  });
  const handler = createMcpHandler({
    name: "outages",
    version: "1.0.0",
    observe: { onError: (error) => errors.push(error) },
    auth: {
      authenticate: (request): Principal | undefined =>
        request.headers.get("authorization") === null ? undefined : { id: "alice" },
    },
    sessions: { store: backend.sessionStore },
    streams: { eventLog: backend.eventLog },
    bus: backend.bus,
    tools: [
      defineTool({
        name: "increment",
        handler: async (_input, ctx) =>
          String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1)),
      }),
    ],
  });
  const server = await serveHandler(handler, 0);
  return {
    url: `${server.url}/mcp`,
    async close() {
      await handler.close();
      await server.close();
      await backend.close();
    },
  };
}

/** One `increment` call on `session` (deadline 5 s); its status, Retry-After and body. */
async function increment(url: string, session: string, id: number) {
  const response = await rawPost(url, session, {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "increment", arguments: {} },
  }, { headers: bearer, signal: AbortSignal.timeout(5_000) });
  if (response.status === 200) {
    const text = (await readAnswer(response)).message.result.content[0].text as string;
    return { status: 200, retryAfter: null, text };
  }
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    text: (await response.json()).error.message as string,
  };
}

/** The notices told of each place, in order; anything else reported fails the test. */
function byPlace(errors: unknown[]): Map<string, string[]> {
  const told = new Map<string, string[]>();
  for (const error of errors) {
    assert.ok(
      error instanceof StorageOutageError || error instanceof StorageRecoveredError,
      `only outage notices are reported: ${String(error)}`,
    );
    told.set(error.where, [...told.get(error.where) ?? [], error.name]);
  }
  return told;
}

/** The names of what was reported, in order. */
function names(errors: unknown[]): string[] {
  return errors.map((error) => error instanceof Error ? error.name : String(error));
}

describeRedis("a Redis outage is told once, and its end once", () => {
  itRedis(
    "one node killed: N refused requests, one outage report, one recovery report",
    async () => {
      const redis = await startRestartableRedis();
      const errors: unknown[] = [];
      const a = await instance({ url: redis.url }, "outage:", errors);
      try {
        const session = await rawInitialize(a.url, { headers: bearer });
        assert.equal((await increment(a.url, session, 1)).text, "1");
        assert.equal(errors.length, 0, "nothing reported before the outage");

        await redis.kill();
        const refusals = 6;
        for (let id = 2; id < 2 + refusals; id++) {
          const refused = await increment(a.url, session, id);
          assert.equal(refused.status, 503, "fails closed");
          assert.equal(refused.retryAfter, "1");
          assert.equal(refused.text, "Service Unavailable: session storage is unreachable");
        }
        assert.deepEqual(names(errors), ["StorageOutageError"], "one report for the whole outage");
        const outage = errors[0] as StorageOutageError;
        assert.equal(outage.where, redis.url);
        assert.match(
          outage.message,
          /^storage outage: redis:\/\/127\.0\.0\.1:\d+ is unreachable \(/,
        );
        assert.ok(outage.message.length < 400, "a short line");
        assert.ok(!/\n/.test(String(outage.stack)), "no stack frames");

        await redis.restart();
        // Served again (the restarted Redis is empty: a new session), and the end told once.
        await until(
          async () => {
            try {
              await rawInitialize(a.url, { headers: bearer });
              return true;
            } catch {
              return false;
            }
          },
          "a new session once Redis is back",
          10_000,
          100,
        );
        await until(
          () => errors.some((error) => error instanceof StorageRecoveredError),
          "the recovery to be reported",
          5_000,
        );
        assert.deepEqual(names(errors), ["StorageOutageError", "StorageRecoveredError"]);
        const recovered = errors[1] as StorageRecoveredError;
        assert.equal(recovered.where, redis.url);
        assert.ok(recovered.failures >= refusals, `counted ${recovered.failures} failures`);
        assert.match(recovered.message, /answers again after \d+\.\d s and \d+ refused commands$/);
      } finally {
        await a.close();
        await redis.stop();
      }
    },
  );
});

let cluster: TestRedisCluster;
before(async () => {
  if (redisSkip !== false) return;
  cluster = await startRedisCluster();
});
after(async () => {
  await cluster?.stop();
});

describeRedis("a Redis Cluster master down is told once, per master", () => {
  itRedis("one master killed: its sessions refused; one report each way for it", async () => {
    const errors: unknown[] = [];
    const a = await instance({ cluster: { rootNodes: cluster.rootNodes } }, "cl:", errors);
    try {
      // Sessions until two of them live on different masters.
      const masterOf = new Map<string, RigNode>();
      const sessions: string[] = [];
      for (let i = 0; i < 40 && new Set(masterOf.values()).size < 2; i++) {
        const session = await rawInitialize(a.url, { headers: bearer });
        for (const node of cluster.nodes) {
          const role = await redisCli(["-p", String(node.port), "ROLE"]);
          const keys = await redisCli(["-p", String(node.port), "--scan", "--pattern", "cl:s:*"]);
          if (role.startsWith("master") && keys.includes(session)) masterOf.set(session, node);
        }
        sessions.push(session);
      }
      const victim = masterOf.get(sessions[0]);
      assert.ok(victim, "the first session's master was found");
      const other = sessions.find((session) => masterOf.get(session) !== victim);
      assert.ok(other !== undefined, "a session on another master");
      assert.equal(errors.length, 0, "nothing reported before the outage");

      await victim.kill();
      let refused = 0;
      let id = 10;
      const otherStatuses = new Set<number>();
      // Until the replica took over and the victim's session is served again (deadline 30 s).
      await until(
        async () => {
          const onOther = await increment(a.url, other, id++);
          otherStatuses.add(onOther.status);
          const onVictim = await increment(a.url, sessions[0], id++);
          if (onVictim.status === 503) {
            assert.equal(onVictim.retryAfter, "1");
            refused++;
            return false;
          }
          assert.equal(onVictim.status, 200, onVictim.text);
          return true;
        },
        "the victim's slots to be served again",
        30_000,
      );
      assert.ok(refused > 0, "positive control: the kill was felt");
      const victimAt = `127.0.0.1:${victim.port}`;
      // Every outage told has its end told (the others' CLUSTERDOWN while the Cluster fails over too).
      await until(
        () =>
          [...byPlace(errors).values()].every((told) => told.at(-1) === "StorageRecoveredError"),
        "every outage's end to be reported",
        10_000,
        50,
      );
      const told = byPlace(errors);
      assert.deepEqual(told.get(victimAt), ["StorageOutageError", "StorageRecoveredError"]);
      for (const [place, notices] of told) {
        // Once per outage: an outage, its end, and only a new failure after that opens another.
        assert.ok(notices.length <= 4, `${place}: ${notices}`);
        notices.forEach((name, at) =>
          assert.equal(name, at % 2 === 0 ? "StorageOutageError" : "StorageRecoveredError")
        );
      }
      assert.ok(otherStatuses.has(200), "a session on another master was served");
    } finally {
      await a.close();
    }
  });
});
