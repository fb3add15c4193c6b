/**
 * Cancellation of 2025 calls served without sessions (`eras: { legacy:
 * "stateless" }`) across two instances on a real redis-server, each with
 * its own backend, over real HTTP: the official SDK v1 client calls a tool
 * on A, and its `notifications/cancelled` (the SDK sends it when the call's
 * AbortSignal aborts) is routed to B, as a load balancer may; B sends it
 * over the bus to A, whose tool's `ctx.signal` aborts with `cancelled`. A
 * cancel that reaches B before A recorded the call cancels it as it is
 * recorded; another principal's call with the same id runs on.
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import type { McpHandler } from "../../../mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import type { Principal } from "../../../src/protocol/context/request_context.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { type BlockedCall, blockingTool } from "../../blocking_tool.ts";
import { abortReason, makeHandler, until, within } from "../../helpers.ts";
import { Client, StreamableHTTPClientTransport } from "../interop/helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

const WAIT_MS = 10_000;

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/** The caller named by `Authorization: Bearer <name>`. */
function bearer(request: Request): Principal | undefined {
  const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
  return token === undefined || token === "" ? undefined : { id: token };
}

/** Two stateless 2025 instances on one Redis prefix, served on loopback; A and B's URLs. */
async function twoInstances(tool: ReturnType<typeof blockingTool>["tool"]): Promise<{
  prefix: string;
  urls: [string, string];
  handlers: McpHandler[];
}> {
  const prefix = `slcancel${++n}:`;
  const urls: string[] = [];
  const handlers: McpHandler[] = [];
  for (let i = 0; i < 2; i++) {
    const backend = await createRedisBackend({ url: redis.url }, {
      prefix,
      onError: () => {},
      bus: { blockMs: 200 },
    });
    const handler = makeHandler({
      tools: [tool],
      eras: { legacy: "stateless" },
      auth: { authenticate: bearer },
      bus: backend.bus,
    });
    const running = await serveHandler(handler, 0);
    opened.push(
      () => backend.close(),
      () => handler.close({ graceMs: 0 }),
      () => running.close(),
    );
    urls.push(`${running.url}/mcp`);
    handlers.push(handler);
  }
  return { prefix, urls: [urls[0], urls[1]], handlers };
}

/**
 * The SDK v1 client of `user`, talking to A, whose `notifications/cancelled`
 * POSTs go to B instead; `routed` counts them.
 */
async function clientOf(user: string, [a, b]: [string, string]) {
  const routed = { cancels: 0 };
  const balancer = (input: string | URL | Request, init?: RequestInit) => {
    const cancel = typeof init?.body === "string" && init.body.includes("notifications/cancelled");
    if (cancel) routed.cancels++;
    return fetch(cancel ? b : input, init);
  };
  const client = new Client({ name: user, version: "1.0.0" });
  client.onerror = () => {};
  await client.connect(
    new StreamableHTTPClientTransport(new URL(a), {
      requestInit: { headers: { authorization: `Bearer ${user}` } },
      fetch: balancer,
    }),
  );
  opened.push(() => client.close());
  return { client, routed };
}

/** The instances Redis records as running `user`'s 2025 call `id` (bus_scripts.ts's requestKeysOf). */
async function runners(prefix: string, user: string, id: number): Promise<string[]> {
  const key = `${prefix}rq:{2025:user:${user}|n:${id}}`;
  return ((await redis.client.sendCommand(["SMEMBERS", key])) as unknown[]).map(String);
}

/**
 * Calls `block` as `client` and aborts the call's AbortSignal once the
 * `n`-th call runs (after `beforeAbort`): the call, the tool's abort
 * reason, and how the call settled for the client.
 */
async function abortWhileRunning(
  client: Client,
  blocking: ReturnType<typeof blockingTool>,
  n: number,
  beforeAbort: (running: BlockedCall) => Promise<void> = () => Promise.resolve(),
): Promise<{ running: BlockedCall; reason: unknown; settled: string }> {
  const controller = new AbortController();
  const settled = client.callTool({ name: "block", arguments: {} }, undefined, {
    signal: controller.signal,
  }).then(() => "resolved", () => "rejected");
  const running = await blocking.call(n, WAIT_MS);
  await beforeAbort(running);
  controller.abort("the user gave up");
  const reason = await abortReason(running.signal, WAIT_MS);
  return { running, reason, settled: await settled };
}

describeRedis("2025 calls without sessions: cancellation across instances", () => {
  itRedis(
    "SDK v1: a call on A, aborted, is cancelled by its notifications/cancelled reaching B",
    async () => {
      const blocking = blockingTool();
      const { prefix, urls } = await twoInstances(blocking.tool);
      const { client, routed } = await clientOf("alice", urls);
      // Once it outlived its grace, A is recorded as running it: the cancel goes there alone.
      const recorded = (running: BlockedCall) =>
        until(
          async () =>
            (await runners(prefix, "alice", running.ctx.requestId as number)).length === 1,
          "A records the call",
          WAIT_MS,
        );
      const { running, reason, settled } = await abortWhileRunning(client, blocking, 1, recorded);
      assert.deepEqual({ reason, settled }, { reason: "cancelled", settled: "rejected" });
      assert.equal(routed.cancels, 1, "the cancel went to B");
      const id = running.ctx.requestId as number;
      await until(
        async () => (await runners(prefix, "alice", id)).length === 0,
        "the call's record goes with its answer",
        WAIT_MS,
      );
    },
  );

  itRedis(
    "SDK v1: a cancel that reaches B as the call starts on A, before its record, cancels it",
    async () => {
      const blocking = blockingTool();
      const { urls } = await twoInstances(blocking.tool);
      const { client, routed } = await clientOf("alice", urls);
      // Found running, or not yet recorded: then B leaves a mark that cancels it as A records it.
      const { reason, settled } = await abortWhileRunning(client, blocking, 1);
      assert.deepEqual({ reason, settled }, { reason: "cancelled", settled: "rejected" });
      assert.equal(routed.cancels, 1, "the cancel went to B");
    },
  );

  itRedis(
    "SDK v1: a cancel through B reaches only its principal's call of that id on A",
    async () => {
      const blocking = blockingTool();
      const { prefix, urls } = await twoInstances(blocking.tool);
      const alice = await clientOf("alice", urls);
      const bob = await clientOf("bob", urls);
      let bobCall: Promise<{ content: unknown }> | undefined;
      let bobRunning: BlockedCall | undefined;
      const bothRecorded = async (aliceRunning: BlockedCall) => {
        bobCall = bob.client.callTool({ name: "block", arguments: {} }) as Promise<
          { content: unknown }
        >;
        bobRunning = await blocking.call(2, WAIT_MS);
        const id = aliceRunning.ctx.requestId as number;
        assert.equal(bobRunning.ctx.requestId, id, "both clients use the same id");
        for (const user of ["alice", "bob"]) {
          await until(
            async () => (await runners(prefix, user, id)).length === 1,
            `A records ${user}'s call`,
            WAIT_MS,
          );
        }
      };
      const { reason, settled } = await abortWhileRunning(alice.client, blocking, 1, bothRecorded);
      assert.deepEqual({ reason, settled }, { reason: "cancelled", settled: "rejected" });
      // One message cancels every call it matches at once: bob's would be aborted by now.
      assert.equal(bobRunning?.signal.aborted, false, "bob's call runs on");
      blocking.release();
      assert.deepEqual(
        (await within(bobCall!, WAIT_MS, "bob's call to finish")).content,
        [{ type: "text", text: "done" }],
      );
    },
  );
});
