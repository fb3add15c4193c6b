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
const PREFIX = args.prefix ?? "floor_";
/** tether's default session idle TTL; streams stay resumable while their session lives. */
const TTL_MS = 30 * 60_000;
/** tether's touch slack at that TTL (a hundredth of it, at most 5 s). */
const SLACK_MS = 5_000;
/** The pool's connections: tether's default `poolSize`. */
const POOL_SIZE = 3;
const TEXT_OID = 25;
const SWEEP_MS = 60_000;
/** This instance's id: a short one, so its channel name stays within Postgres's 63 bytes. */
const INSTANCE = Array.from(crypto.getRandomValues(new Uint8Array(8)))
  .map((byte) => byte.toString(16).padStart(2, "0")).join("");
const CHANNEL_PREFIX = "floor_cancel_";

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
  const message = await readMessage(request);
  if (message instanceof Response) return message;
  const { id, method, params } = message;
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
  const streamed = isStreamed(message);
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
  if (!streamed) return answerPlain(message);
  const store: CallStore = {
    // Every event in one row.
    burst: (stream, data) => insertLastEvents(sid, requestKey, stream, 1, data),
    spread: (stream, n, data, last) =>
      last
        ? insertLastEvents(sid, requestKey, stream, n, [data])
        : insertEvents(sid, stream, n, [data]),
    cancelled: () =>
      sql`DELETE FROM ${ROUTES} WHERE session_id = ${sid} AND request = ${requestKey}`,
  };
  return await answerStreamed(message, store, inflight, `${sid}\n${requestKey}`);
}

await startBenchServer({ fetch: handle });
