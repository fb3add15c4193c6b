/**
 * The Redis floor: the least a server sends to Redis to keep tether's distributed promises for the
 * scale-out workloads (bench/redis_scale.ts), served by one function, no tether code. Instances
 * share nothing but Redis; a yardstick, not a server anyone should run.
 *
 *   session     `initialize` SETs `s:{sid}` with the idle TTL (30 min, tether's `idleTtlMs`); every
 *               later request reads and touches it in one command (GETEX … PX), 404 when gone.
 *   events      each event of an SSE answer (progress, then the result) is XADDed to its stream's
 *               key `e:{sid}:<stream>` (entry id `0-<n>`, the SSE id `<stream>:<n>`), the key given
 *               the same TTL with its first event: a `Last-Event-ID` GET on any instance replays
 *               what follows from Redis (what is kept, then the stream ends; the client resumes
 *               again for more). The burst tool's 11 events go in one pipeline; the spread tool
 *               writes each as it happens, before it is sent.
 *   cancel      a streamed call SETs `r:{sid}:<id>` → this instance (TTL 30 min, a backstop for
 *               an instance that dies) with the session's touch, and DELs it with its last event;
 *               a `notifications/cancelled` on any instance reads the route with its touch and
 *               SPUBLISHes to the running instance's channel `c:{<instance>}` (one shard), or
 *               aborts the call itself. The echo call answers in the turn it arrives: no route.
 *
 * Every key of a session carries `{sid}`, so a request's commands share a slot (one node, one
 * pipeline, on a Cluster too). Checks: the POST's Accept and Content-Type, the JSON-RPC shape, the
 * session; none of the guards bench/servers/floor.ts measures.
 *
 *   --redis URL | --cluster host:port,...   the Redis (one node, or a Cluster's root nodes)
 *   --prefix P                               the key prefix
 *   --port N                                 the port (bench/servers/common.ts)
 */

import { createClient, createCluster } from "redis";
import { serverArgs, startBenchServer } from "./common.ts";
import {
  answerPlain,
  answerStreamed,
  type CallStore,
  error,
  isStreamed,
  json,
  readMessage,
  result,
  SSE_HEADERS,
  sseEvent,
} from "./floor_calls.ts";

const args = serverArgs();
const PREFIX = args.prefix ?? "floor:";
/** tether's default session idle TTL; streams stay resumable while their session lives. */
const TTL_MS = 30 * 60_000;
const INSTANCE = crypto.randomUUID();

/** One command routed by its first key (`key`) on either kind of client. */
type Send = (key: string, command: string[]) => Promise<unknown>;
/** A pipeline of commands on one slot: node-redis sends the commands of one turn together. */
const pipeline = (key: string, commands: string[][]) =>
  Promise.all(commands.map((command) => send(key, command)));

const inflight = new Map<string, AbortController>();
const onCancel = (message: string) => inflight.get(message)?.abort();
const channel = `${PREFIX}c:{${INSTANCE}}`;
let send: Send;
if (args.cluster !== undefined) {
  const rootNodes = args.cluster.split(",").map((node) => ({ url: `redis://${node}` }));
  const cluster = createCluster({ rootNodes });
  cluster.on("error", () => {});
  await cluster.connect();
  send = (key, command) => cluster.sendCommand(key, false, command);
  await cluster.sSubscribe(channel, onCancel);
} else {
  const client = createClient({ url: args.redis ?? "redis://127.0.0.1:6379" });
  client.on("error", () => {});
  await client.connect();
  send = (_key, command) => client.sendCommand(command);
  const subscriber = client.duplicate();
  subscriber.on("error", () => {});
  await subscriber.connect();
  await subscriber.sSubscribe(channel, onCancel);
}

/** The XADD of event `n` of a stream (an explicit id: the SSE id is known before Redis answers). */
const xadd = (key: string, n: number, data: string) => ["XADD", key, `0-${n}`, "d", data];

/** Every request: the session, the streams and the cancels, as little Redis as they need. */
async function handle(request: Request): Promise<Response> {
  const sid = request.headers.get("mcp-session-id");
  const sessionKey = `${PREFIX}s:{${sid}}`;
  const touch = ["GETEX", sessionKey, "PX", String(TTL_MS)];
  if (request.method === "GET") {
    // A resume: what the stream named by Last-Event-ID keeps after that event.
    const last = /^([\w-]+):(\d+)$/.exec(request.headers.get("last-event-id") ?? "");
    if (sid === null || last === null) return new Response(null, { status: 400 });
    const eventsKey = `${PREFIX}e:{${sid}}:${last[1]}`;
    const [session, entries] = await pipeline(sessionKey, [
      touch,
      ["XRANGE", eventsKey, `(0-${last[2]}`, "+"],
    ]) as [unknown, [string, string[]][]];
    if (session === null) return new Response(null, { status: 404 });
    const body = entries.map(([id, fields]) => sseEvent(last[1], Number(id.slice(2)), fields[1]));
    return new Response(body.join(""), { headers: SSE_HEADERS });
  }
  if (request.method === "DELETE") {
    if (sid === null) return new Response(null, { status: 400 });
    return new Response(null, { status: await send(sessionKey, ["DEL", sessionKey]) ? 204 : 404 });
  }
  if (request.method !== "POST") return new Response(null, { status: 405 });
  const message = await readMessage(request);
  if (message instanceof Response) return message;
  const { id, method, params } = message;
  if (method === "initialize") {
    const session = crypto.randomUUID();
    const version = typeof params.protocolVersion === "string" ? params.protocolVersion : "";
    await send(`{${session}}`, ["SET", `${PREFIX}s:{${session}}`, version, "PX", String(TTL_MS)]);
    return json(
      result(id, {
        protocolVersion: version,
        capabilities: { tools: {} },
        serverInfo: { name: "bench-floor-redis", version: "1.0.0" },
      }),
      { "mcp-session-id": session },
    );
  }
  if (sid === null) return error(id, -32000, "Bad Request: no session", 400);
  if (method === "notifications/cancelled") {
    const key = `${sid}\n${JSON.stringify(params.requestId)}`;
    const routeKey = `${PREFIX}r:{${sid}}:${JSON.stringify(params.requestId)}`;
    const [session, holder] = await pipeline(sessionKey, [touch, ["GET", routeKey]]);
    if (session === null) return error(id, -32001, "Session not found", 404);
    if (holder === INSTANCE) onCancel(key);
    else if (typeof holder === "string") {
      await send(`{${holder}}`, ["SPUBLISH", `${PREFIX}c:{${holder}}`, key]);
    }
    return new Response(null, { status: 202 });
  }
  const streamed = isStreamed(message);
  const routeKey = `${PREFIX}r:{${sid}}:${JSON.stringify(id)}`;
  const [session] = await pipeline(
    sessionKey,
    streamed ? [touch, ["SET", routeKey, INSTANCE, "PX", String(TTL_MS)]] : [touch],
  );
  if (session === null) return error(id, -32001, "Session not found", 404);
  if (!streamed) return answerPlain(message);
  const eventsKey = (stream: string) => `${PREFIX}e:{${sid}}:${stream}`;
  const expire = (stream: string) => ["PEXPIRE", eventsKey(stream), String(TTL_MS)];
  const done = ["DEL", routeKey];
  const store: CallStore = {
    // Every event in one pipeline.
    burst: (stream, data) =>
      pipeline(sessionKey, [
        ...data.map((one, i) => xadd(eventsKey(stream), i + 1, one)),
        expire(stream),
        done,
      ]),
    spread: (stream, n, data, last) =>
      pipeline(sessionKey, [
        xadd(eventsKey(stream), n, data),
        ...(n === 1 ? [expire(stream)] : last ? [done] : []),
      ]),
    cancelled: () => send(sessionKey, done),
  };
  return await answerStreamed(message, store, inflight, `${sid}\n${JSON.stringify(id)}`);
}

await startBenchServer({ fetch: handle });
