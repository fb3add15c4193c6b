/**
 * The Postgres floor: the least SQL a server sends to keep tether's distributed promises for the
 * scale-out workloads (bench/postgres_scale.ts), served by one function on postgres.js, no tether
 * code. Instances share nothing but Postgres; a yardstick, not a server anyone should run. Its
 * three tables (logged, as tether's are) are named by `--prefix` and made at start if absent.
 *
 *   session     `initialize` INSERTs a row `sessions (id, version, expires_at)` with the idle TTL
 *               (30 min, tether's `idleTtlMs`); every later request reads and touches it in one
 *               statement (a `WITH` of the read and an UPDATE of the deadline, written only when
 *               it moves 5 s or more: tether's touch slack at that TTL), 404 when gone or expired.
 *   events      a streamed call's events (progress, then the result) are INSERTed as rows
 *               `events (session_id, stream, seq, data text[], expires_at)` with the same TTL: the
 *               burst tool's 11 in one row and one statement, the spread tool's one row each as it
 *               happens, before it is sent. A `Last-Event-ID` GET on any instance reads the
 *               stream's rows after that event with the session's touch, in one statement (what
 *               is kept, then the stream ends; the client resumes again for more).
 *   cancel      a streamed call INSERTs its route `routes (session_id, request, instance)` (TTL
 *               30 min, a backstop for an instance that dies) in its session's touch statement,
 *               and DELETEs it in its last event's statement (or alone, when cancelled); a
 *               `notifications/cancelled` on any instance reads the route with its touch and
 *               `pg_notify`s the running instance's channel in the same statement (each instance
 *               LISTENs on its own channel on one connection of its own), or aborts the call
 *               itself. The echo call answers in the turn it arrives: no route.
 *   expiry      every minute, one statement deletes the rows past their deadline (a scan of each
 *               table: no index on a deadline, so a touch stays a heap-only update).
 *
 * Per call: 1 statement for a JSON call; 2 for a burst 10-progress call (the touch and route, the
 * events and the route's end); 12 for a spread one (the touch and route, then one per event).
 * Checks: the POST's Accept and Content-Type, the JSON-RPC shape, the session; none of the guards
 * bench/servers/floor.ts measures. What it does NOT do: bounds on a session's or the server's
 * events, owners, a bus for anything but cancels, statement deadlines, outage handling.
 *
 *   --postgres URL        the database (`application_name` in it names the connections)
 *   --prefix P            the tables' prefix (`P` + sessions, events, routes)
 *   --prepared false      unnamed statements, as behind a pooler (named by default, as tether's)
 *   --port N              the port (bench/servers/common.ts)
 */

import postgres from "postgres";
import { serverArgs, startBenchServer } from "./common.ts";

const args = serverArgs();
const PREFIX = args.prefix ?? "floor_";
/** tether's default session idle TTL; streams stay resumable while their session lives. */
const TTL_MS = 30 * 60_000;
/** tether's touch slack at that TTL (a hundredth of it, at most 5 s). */
const SLACK_MS = 5_000;
const TICK_MS = 20;
const PROGRESS_EVENTS = 10;
/** The pool's connections: tether's default `poolSize`. */
const POOL_SIZE = 3;
const TEXT_OID = 25;
const SWEEP_MS = 60_000;
/** This instance's id: a short one, so its channel name stays within Postgres's 63 bytes. */
const INSTANCE = Array.from(crypto.getRandomValues(new Uint8Array(8)))
  .map((byte) => byte.toString(16).padStart(2, "0")).join("");
const CHANNEL_PREFIX = "floor_cancel_";
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

const sql = postgres(args.postgres ?? "postgres://postgres@127.0.0.1:5432/postgres", {
  max: POOL_SIZE,
  prepare: args.prepared !== "false",
  onnotice: () => {},
});
const SESSIONS = sql(`${PREFIX}sessions`);
const EVENTS = sql(`${PREFIX}events`);
const ROUTES = sql(`${PREFIX}routes`);
const TTL = sql.unsafe(`interval '${TTL_MS} milliseconds'`);
const TTL_LESS_SLACK = sql.unsafe(`interval '${TTL_MS - SLACK_MS} milliseconds'`);

// The tables, once for all instances (two starting together would race on CREATE).
await sql.begin(async (tx) => {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`floor_tables:${PREFIX}`}, 0))`;
  await tx`CREATE TABLE IF NOT EXISTS ${SESSIONS} (
    id text PRIMARY KEY, version text NOT NULL, expires_at timestamptz NOT NULL)`;
  await tx`CREATE TABLE IF NOT EXISTS ${EVENTS} (
    session_id text NOT NULL, stream text NOT NULL, seq integer NOT NULL, data text[] NOT NULL,
    expires_at timestamptz NOT NULL, PRIMARY KEY (session_id, stream, seq))`;
  await tx`CREATE TABLE IF NOT EXISTS ${ROUTES} (
    session_id text NOT NULL, request text NOT NULL, instance text NOT NULL,
    expires_at timestamptz NOT NULL, PRIMARY KEY (session_id, request))`;
});

const inflight = new Map<string, AbortController>();
const onCancel = (message: string) => inflight.get(message)?.abort();
await sql.listen(CHANNEL_PREFIX + INSTANCE, onCancel);

setInterval(() => {
  sql`WITH sessions AS (DELETE FROM ${SESSIONS} WHERE expires_at <= now()),
    events AS (DELETE FROM ${EVENTS} WHERE expires_at <= now())
    DELETE FROM ${ROUTES} WHERE expires_at <= now()`.catch(() => {});
}, SWEEP_MS);

/** The `WITH` steps of a session's read and touch: `live` has a row when the session does. */
const touch = (sid: string) =>
  sql`live AS (
    SELECT 1 FROM ${SESSIONS} WHERE id = ${sid} AND expires_at > now()
  ), touched AS (
    UPDATE ${SESSIONS} SET expires_at = now() + ${TTL}
    WHERE id = ${sid} AND expires_at > now() AND expires_at < now() + ${TTL_LESS_SLACK}
  )`;

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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Event `seq` onwards of a stream in one row (the burst: all of them; spread: one). */
const insertEvents = (sid: string, stream: string, seq: number, data: string[]) =>
  sql`INSERT INTO ${EVENTS} (session_id, stream, seq, data, expires_at)
    VALUES (${sid}, ${stream}, ${seq}, ${sql.array(data, TEXT_OID)}::text[], now() + ${TTL})`;
/** The same, ending the call's route in the same statement (its last events). */
const insertLastEvents = (
  sid: string,
  request: string,
  stream: string,
  seq: number,
  data: string[],
) =>
  sql`WITH done AS (
    DELETE FROM ${ROUTES} WHERE session_id = ${sid} AND request = ${request}
  ) INSERT INTO ${EVENTS} (session_id, stream, seq, data, expires_at)
    VALUES (${sid}, ${stream}, ${seq}, ${sql.array(data, TEXT_OID)}::text[], now() + ${TTL})`;

/** A resume: what the stream named by Last-Event-ID keeps after that event, with the touch. */
async function resume(sid: string | null, lastEventId: string | null): Promise<Response> {
  const last = /^([\w-]+):(\d+)$/.exec(lastEventId ?? "");
  if (sid === null || last === null) return new Response(null, { status: 400 });
  const [stream, after] = [last[1], Number(last[2])];
  // No row: the session is gone; one row of nulls: nothing kept after that event.
  const rows = await sql`WITH ${touch(sid)}
    SELECT e.seq, e.data FROM live LEFT JOIN ${EVENTS} e ON e.session_id = ${sid}
      AND e.stream = ${stream} AND e.seq + cardinality(e.data) - 1 > ${after}
      AND e.expires_at > now()
    ORDER BY e.seq`;
  if (rows.length === 0) return new Response(null, { status: 404 });
  let body = "";
  for (const row of rows) {
    if (row.seq === null) continue;
    (row.data as string[]).forEach((data, i) => {
      const n = Number(row.seq) + i;
      if (n > after) body += sseEvent(stream, n, data);
    });
  }
  return new Response(body, { headers: SSE_HEADERS });
}

/** Every request: the session, the streams and the cancels, as little SQL as they need. */
async function handle(request: Request): Promise<Response> {
  const sid = request.headers.get("mcp-session-id");
  if (request.method === "GET") return resume(sid, request.headers.get("last-event-id"));
  if (request.method === "DELETE") {
    if (sid === null) return new Response(null, { status: 400 });
    const gone = await sql`DELETE FROM ${SESSIONS} WHERE id = ${sid} RETURNING 1`;
    return new Response(null, { status: gone.length > 0 ? 204 : 404 });
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
    await sql`INSERT INTO ${SESSIONS} (id, version, expires_at)
      VALUES (${session}, ${version}, now() + ${TTL})`;
    return json(
      result(id, {
        protocolVersion: version,
        capabilities: { tools: {} },
        serverInfo: { name: "bench-floor-postgres", version: "1.0.0" },
      }),
      { "mcp-session-id": session },
    );
  }
  if (sid === null) return error(id, -32000, "Bad Request: no session", 400);
  if (method === "notifications/cancelled") {
    const requestKey = JSON.stringify(params.requestId);
    const key = `${sid}\n${requestKey}`;
    // The route read with the touch, and the holder notified, in one statement.
    const [row] = await sql`WITH ${touch(sid)}, route AS (
      SELECT r.instance FROM ${ROUTES} r, live
      WHERE r.session_id = ${sid} AND r.request = ${requestKey} AND r.expires_at > now()
    ), sent AS (
      SELECT pg_notify(${CHANNEL_PREFIX} || instance, ${key}) FROM route
      WHERE instance <> ${INSTANCE}
    )
    SELECT EXISTS (SELECT 1 FROM live) AS live, (SELECT instance FROM route) AS holder,
      (SELECT count(*) FROM sent) AS sent`;
    if (row.live !== true) return error(id, -32001, "Session not found", 404);
    if (row.holder === INSTANCE) onCancel(key);
    return new Response(null, { status: 202 });
  }
  const name = params.name;
  const streamed = method === "tools/call" &&
    (name === "progress10" || name === "progress10spread");
  const requestKey = JSON.stringify(id);
  const live = streamed
    ? await sql`WITH ${touch(sid)}, routed AS (
        INSERT INTO ${ROUTES} (session_id, request, instance, expires_at)
        SELECT ${sid}, ${requestKey}, ${INSTANCE}, now() + ${TTL} FROM live
        ON CONFLICT (session_id, request)
        DO UPDATE SET instance = excluded.instance, expires_at = excluded.expires_at
      ) SELECT 1 FROM live`
    : await sql`WITH ${touch(sid)} SELECT 1 FROM live`;
  if (live.length === 0) return error(id, -32001, "Session not found", 404);
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
  const events = (n: number) =>
    n <= PROGRESS_EVENTS ? progressEvent(token, n) : textResult(id, "done");
  const priming = `id: ${stream}:0\nretry: 1000\ndata: \n\n`;
  if (name === "progress10") {
    // The burst: every event in one row, then the body whole.
    let body = priming;
    const data: string[] = [];
    for (let n = 1; n <= PROGRESS_EVENTS + 1; n++) {
      data.push(events(n));
      body += sseEvent(stream, n, data[n - 1]);
    }
    await insertLastEvents(sid, requestKey, stream, 1, data);
    return new Response(body, { headers: SSE_HEADERS });
  }
  // Spread: one event a tick, each kept before it is sent; a cancel ends the stream unanswered.
  const abort = new AbortController();
  const cancelKey = `${sid}\n${requestKey}`;
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
          if (n > PROGRESS_EVENTS) await insertLastEvents(sid, requestKey, stream, n, [data]);
          else await insertEvents(sid, stream, n, [data]);
          controller.enqueue(encoder.encode(sseEvent(stream, n, data)));
        }
        controller.close();
      } catch {
        // Postgres failed, or the client went away (the stream was cancelled): the stream ends,
        // unanswered.
        try {
          controller.close();
        } catch {
          // Already closed by the client's going away.
        }
      } finally {
        inflight.delete(cancelKey);
        if (abort.signal.aborted) {
          sql`DELETE FROM ${ROUTES} WHERE session_id = ${sid} AND request = ${requestKey}`
            .catch(() => {});
        }
      }
    },
    cancel() {
      abort.abort();
    },
  });
  return new Response(body, { headers: SSE_HEADERS });
}

await startBenchServer({ fetch: handle });
