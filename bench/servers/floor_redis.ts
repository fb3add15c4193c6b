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

const args = serverArgs();
const PREFIX = args.prefix ?? "floor:";
/** tether's default session idle TTL; streams stay resumable while their session lives. */
const TTL_MS = 30 * 60_000;
const TICK_MS = 20;
const PROGRESS_EVENTS = 10;
const INSTANCE = crypto.randomUUID();
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

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

const json = (value: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value), {
    headers: { "content-type": "application/json", ...headers },
  });
const result = (id: unknown, value: unknown) => ({ jsonrpc: "2.0", id, result: value });
const error = (id: unknown, code: number, message: string, status = 200) =>
  new Response(JSON.stringify({ jsonrpc: "2.0", id: id ?? null, error: { code, message } }), {
    status,
    headers: { "content-type": "application/json" },
  });
const textResult = (id: unknown, text: string) =>
  JSON.stringify(result(id, { content: [{ type: "text", text }] }));
const progressEvent = (token: unknown, progress: number) =>
  JSON.stringify({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken: token, progress, total: PROGRESS_EVENTS },
  });
const sseEvent = (stream: string, n: number, data: string) =>
  `id: ${stream}:${n}\ndata: ${data}\n\n`;
/** The XADD of event `n` of a stream (an explicit id: the SSE id is known before Redis answers). */
const xadd = (key: string, n: number, data: string) => ["XADD", key, `0-${n}`, "d", data];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

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
  const accept = request.headers.get("accept") ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
    return error(null, -32000, "Not Acceptable", 406);
  }
  if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) {
    return error(null, -32000, "Unsupported Media Type", 415);
  }
  let message: unknown;
  try {
    message = JSON.parse(await request.text());
  } catch {
    return error(null, -32700, "Parse error", 400);
  }
  if (!isObject(message) || message.jsonrpc !== "2.0" || typeof message.method !== "string") {
    return error(null, -32600, "Invalid Request", 400);
  }
  const { id, method } = message;
  const params = isObject(message.params) ? message.params : {};
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
  const name = params.name;
  const streamed = method === "tools/call" &&
    (name === "progress10" || name === "progress10spread");
  const routeKey = `${PREFIX}r:{${sid}}:${JSON.stringify(id)}`;
  const [session] = await pipeline(
    sessionKey,
    streamed ? [touch, ["SET", routeKey, INSTANCE, "PX", String(TTL_MS)]] : [touch],
  );
  if (session === null) return error(id, -32001, "Session not found", 404);
  if (id === undefined) return new Response(null, { status: 202 });
  if (method === "ping") return json(result(id, {}));
  if (method !== "tools/call") return error(id, -32601, "Method not found");
  const input = isObject(params.arguments) ? params.arguments : {};
  if (name === "echo") {
    if (typeof input.text !== "string") return error(id, -32602, "Invalid params");
    return new Response(textResult(id, input.text), {
      headers: { "content-type": "application/json" },
    });
  }
  if (!streamed) return error(id, -32602, `Unknown tool`);
  const token = isObject(params._meta) ? params._meta.progressToken : undefined;
  const stream = crypto.randomUUID();
  const eventsKey = `${PREFIX}e:{${sid}}:${stream}`;
  const expire = ["PEXPIRE", eventsKey, String(TTL_MS)];
  const done = ["DEL", routeKey];
  const events = (n: number) =>
    n <= PROGRESS_EVENTS ? progressEvent(token, n) : textResult(id, "done");
  const priming = `id: ${stream}:0\nretry: 1000\ndata: \n\n`;
  if (name === "progress10") {
    // The burst: every event in one pipeline, then the body whole.
    let body = priming;
    const commands: string[][] = [];
    for (let n = 1; n <= PROGRESS_EVENTS + 1; n++) {
      const data = events(n);
      commands.push(xadd(eventsKey, n, data));
      body += sseEvent(stream, n, data);
    }
    await pipeline(sessionKey, [...commands, expire, done]);
    return new Response(body, { headers: SSE_HEADERS });
  }
  // Spread: one event a tick, each kept before it is sent; a cancel ends the stream unanswered.
  const abort = new AbortController();
  const cancelKey = `${sid}\n${JSON.stringify(id)}`;
  inflight.set(cancelKey, abort);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(priming));
      try {
        for (let n = 1; n <= PROGRESS_EVENTS + 1 && !abort.signal.aborted; n++) {
          if (n <= PROGRESS_EVENTS) await sleep(TICK_MS);
          if (abort.signal.aborted) break;
          const data = events(n);
          const first = n === 1 ? [expire] : n > PROGRESS_EVENTS ? [done] : [];
          await pipeline(sessionKey, [xadd(eventsKey, n, data), ...first]);
          controller.enqueue(encoder.encode(sseEvent(stream, n, data)));
        }
        controller.close();
      } catch {
        // Redis failed, or the client went away (the stream was cancelled): the stream ends,
        // unanswered (the bench counts a wrong answer), never left open.
        try {
          controller.close();
        } catch {
          // Already closed by the client's going away.
        }
      } finally {
        inflight.delete(cancelKey);
        if (abort.signal.aborted) send(sessionKey, done).catch(() => {});
      }
    },
    cancel() {
      abort.abort();
    },
  });
  return new Response(body, { headers: SSE_HEADERS });
}

await startBenchServer({ fetch: handle });
