/**
 * What a call of a 2025 session costs Redis, counted (never timed) on a real
 * redis-server with MONITOR: every command a client sent for the session (its
 * keys carry the session's hash tag) and every command its scripts ran, per
 * call, once the session is warm. A JSON call: at most 4 (the read-and-touch
 * script, its GET, HMGET and HSET; bench/redis_scale.ts counts the same for
 * every workload under load).
 */

import { after, before } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/mod.ts";
import { initialize, postRequest } from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const tools = [
  defineTool({ name: "echo", description: "Echoes", handler: () => "ok" }),
];

/** A handler on its own prefix of the Redis, with one initialized session. */
async function served(prefix: string): Promise<{
  handler: McpHandler;
  backend: RedisBackend;
  sessionId: string;
  protocolVersion: string;
}> {
  const backend = await createRedisBackend({ url: redis.url }, { prefix });
  const handler = createMcpHandler({ name: "app", version: "1.0.0", tools, storage: backend });
  const { id: sessionId, protocolVersion } = await initialize(handler);
  return { handler, backend, sessionId, protocolVersion };
}

/** Calls `tool` once on the session and reads the whole answer. */
async function call(
  { handler, sessionId, protocolVersion }: Awaited<ReturnType<typeof served>>,
  tool: string,
  id: number,
) {
  const response = await handler(postRequest({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: tool, arguments: {} },
  }, { sessionId, protocolVersion }));
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.match(text, /"result"/);
}

/**
 * The commands Redis ran for the session's `calls` calls of `tool`: each line MONITOR shows
 * from a client naming the session's tag, with the lines its script ran after it.
 */
async function commandsPerCall(tool: string, calls: number): Promise<number> {
  const session = await served(`count-${tool}:`);
  const { handler, backend, sessionId } = session;
  const watcher = createClient({ url: redis.url, socket: { reconnectStrategy: false } });
  watcher.on("error", () => {});
  try {
    for (let i = 0; i < 3; i++) await call(session, tool, 100 + i); // warm: scripts loaded
    await watcher.connect();
    const tag = `{${sessionId}}`;
    let counted = 0;
    let inSession = false;
    const mark = `mark-${crypto.randomUUID()}`;
    let seen!: () => void;
    const marked = new Promise<void>((resolve) => seen = resolve);
    await watcher.monitor((line: string) => {
      if (line.includes(mark)) seen();
      if (line.includes(" [0 lua] ")) {
        if (inSession) counted++;

        return;
      }
      inSession = line.includes(tag);
      if (inSession) counted++;
    });
    for (let i = 0; i < calls; i++) await call(session, tool, i + 1);
    // MONITOR lines come in order: once this one is seen, every line of the calls was.
    await redis.client.sendCommand(["ECHO", mark]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      marked,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("MONITOR never showed the mark")), 10_000);
      }),
    ]).finally(() => clearTimeout(timer));
    return counted / calls;
  } finally {
    watcher.destroy();
    await handler.close();
    await backend.close();
  }
}

describeRedis("commands per call of a 2025 session on one Redis", () => {
  itRedis("a JSON tools/call: at most 4 commands", async () => {
    const perCall = await commandsPerCall("echo", 20);
    // The control: MONITOR saw the session's read-and-touch (its script at least) in every call.
    assert.ok(perCall >= 1, `MONITOR counted ${perCall} commands a call`);
    assert.ok(perCall <= 4, `a JSON call ran ${perCall} commands`);
  });
});
