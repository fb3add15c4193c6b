/**
 * An {@linkcode EventLog} in Postgres, so a stream logged by one instance is replayed, and
 * followed live, by another. The tables are the truth (event_log_schema.ts and
 * event_log_append_schema.ts): each write of one call (an open, the events of one `appendMany`,
 * an end) is one statement, a call of `tether_event_append`, which takes the session's row lock,
 * numbers and inserts the events in one statement, applies the bounds per stream and per session
 * exactly, and adds the bytes to this instance's row of the namespace's budget. Once this
 * instance has written a chunk since its last look, it reads the total and, while it is over
 * `maxTotalBytes`, takes the streams written least recently (`tether_event_evict`), as the Redis
 * and memory logs do (event_log_budget.ts). After the commit, never inside it, a wake-up names
 * the stream (its row id) on `tether_events`, coalesced within a tick, when a follower marked it
 * (event_log_tails.ts, whose followers also poll); a write nobody follows sends none.
 *
 * Rows carry deadlines: a session's streams live `ttlSeconds` after its last write, reads
 * ignore them past it, and the backend's sweep deletes them in batches (with the session's
 * record when that is in `tether_sessions`). Each log has an instance id and a heartbeat row
 * while it has opened streams; a follower whose stream's writer stopped beating learns it within
 * `instanceTimeoutMs` and answers the stream's requests with an error.
 * @module
 */

import { toHex } from "../../hex.ts";
import {
  type AppendOptions,
  type EventLog,
  formatEventId,
  parseEventId,
  type Replay,
  type StreamInfo,
  type WaitOptions,
} from "../../storage/event_log/event_log.ts";
import type { PostgresGate } from "../connection/postgres_gate.ts";
import type { Wakeups } from "../connection/postgres_wakeups.ts";
import { namespaceOf } from "../sessions/postgres_session_store.ts";
import type { PostgresEventLogOptions } from "./event_log_options.ts";
import { POLLING_ONLY_POLL_INTERVAL_MS, POSTGRES_DEFAULTS } from "../postgres_defaults.ts";
import { readStream, replayOf } from "./event_log_reads.ts";
import { EventLogTails, EVENTS_CHANNEL } from "./event_log_tails.ts";
import { WriterHeartbeat } from "../../storage/event_log/writer_heartbeat.ts";
import { EventBudget } from "./event_log_budget.ts";

export type { PostgresEventLogOptions } from "./event_log_options.ts";

/**
 * Resumable SSE streams in Postgres, shared by every instance on the same database and
 * namespace. Made by `createPostgresBackend` (its `eventLog`), which checks the schema first.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createPostgresBackend } from "@tether/mcp/postgres";
 *
 * const backend = await createPostgresBackend({ url: "postgres://app@127.0.0.1:5432/app" });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   sessions: { store: backend.sessionStore },
 *   streams: { eventLog: backend.eventLog },
 * });
 * ```
 */
export class PostgresEventLog implements EventLog {
  readonly #gate: PostgresGate;
  readonly #wakeups: Wakeups | undefined;
  readonly #namespace: string;
  readonly #maxEvents: number;
  readonly #maxStreams: number;
  readonly #maxBytes: number;
  readonly #maxTotalBytes: number;
  readonly #ttlMs: number;
  readonly #instanceTimeoutMs: number;
  readonly #now: () => number;
  readonly #tails: EventLogTails;
  /** This log's writer id, recorded on every stream it opens. */
  readonly #instance = toHex(crypto.getRandomValues(new Uint8Array(8)));
  readonly #heartbeat: WriterHeartbeat;
  readonly #budget: EventBudget;
  #closed = false;

  /**
   * A log whose statements pass `gate` (the backend's), woken by `wakeups`; without them it
   * polls and sends no `NOTIFY` (polling-only mode).
   */
  constructor(gate: PostgresGate, options: PostgresEventLogOptions = {}, wakeups?: Wakeups) {
    const DEFAULT = POSTGRES_DEFAULTS.PostgresEventLogOptions;
    this.#gate = gate;
    this.#wakeups = wakeups;
    this.#namespace = namespaceOf(options.namespace ?? DEFAULT.namespace);
    this.#maxEvents = options.maxEventsPerStream ?? DEFAULT.maxEventsPerStream;
    this.#maxStreams = options.maxStreamsPerSession ?? DEFAULT.maxStreamsPerSession;
    this.#maxBytes = options.maxBytesPerSession ?? DEFAULT.maxBytesPerSession;
    this.#maxTotalBytes = options.maxTotalBytes ?? DEFAULT.maxTotalBytes;
    const ttlSeconds = options.ttlSeconds ?? DEFAULT.ttlSeconds;
    const pollIntervalMs = options.pollIntervalMs ??
      (wakeups === undefined ? POLLING_ONLY_POLL_INTERVAL_MS : DEFAULT.pollIntervalMs);
    this.#instanceTimeoutMs = options.instanceTimeoutMs ?? DEFAULT.instanceTimeoutMs;
    this.#heartbeat = new WriterHeartbeat(
      () =>
        this.#gate.run(
          "event log",
          (sql) =>
            sql`INSERT INTO tether_event_writers (namespace, instance, alive_until)
        VALUES (${this.#namespace}, ${this.#instance}, ${this.#now() + this.#instanceTimeoutMs})
        ON CONFLICT (namespace, instance) DO UPDATE SET alive_until = excluded.alive_until`,
        ),
      this.#instanceTimeoutMs,
    );
    for (
      const [name, value, max] of [
        ["maxEventsPerStream", this.#maxEvents, 2 ** 31 - 1],
        ["maxStreamsPerSession", this.#maxStreams, 2 ** 31 - 1],
        ["maxBytesPerSession", this.#maxBytes, Number.MAX_SAFE_INTEGER],
        ["maxTotalBytes", this.#maxTotalBytes, Number.MAX_SAFE_INTEGER],
        ["ttlSeconds", ttlSeconds, 10 * 365 * 86_400],
        ["pollIntervalMs", pollIntervalMs, 2 ** 31 - 1],
        ["instanceTimeoutMs", this.#instanceTimeoutMs, 2 ** 31 - 1],
      ] as const
    ) {
      if (!Number.isSafeInteger(value) || value <= 0 || value > max) {
        throw new RangeError(`PostgresEventLog option ${name} must be an integer from 1 to ${max}`);
      }
    }
    this.#ttlMs = ttlSeconds * 1_000;
    this.#now = options.now ?? Date.now;
    this.#budget = new EventBudget({
      gate,
      namespace: this.#namespace,
      maxTotalBytes: this.#maxTotalBytes,
    });
    this.#tails = new EventLogTails({
      gate: this.#gate,
      namespace: this.#namespace,
      limit: this.#maxEvents,
      wakeups: this.#wakeups,
      pollIntervalMs,
      now: this.#now,
    });
  }

  /**
   * One write (`tether_event_append`): opens the stream, appends `data`, ends it with
   * `complete`, its bytes in this instance's budget row; wakes the stream's followers when it
   * has any; then, once a chunk was written since the last look, evicts while the namespace is
   * over its budget (event_log_budget.ts). The first sequence number of `data`.
   */
  async #write(
    sessionId: string,
    streamId: string,
    data: readonly string[],
    open: boolean,
    complete: boolean,
    requestIds = "[]",
  ): Promise<number> {
    if (this.#closed) throw new Error("PostgresEventLog: closed");
    const rows = await this.#gate.run(
      "event log",
      (sql) =>
        sql`SELECT stream, first_seq, delta, followed FROM tether_event_append(
        ${this.#namespace}, ${sessionId}, ${streamId}, ${sql.array(data as string[], 25)}::text[],
        ${open}, ${complete}, ${open ? this.#instance : ""}, ${requestIds},
        ${this.#maxEvents}, ${this.#maxStreams}, ${this.#maxBytes},
        ${this.#now()}, ${this.#ttlMs}, ${this.#instance}
      )`,
    );
    const stream = String(rows[0]?.stream ?? "0");
    if (stream !== "0" && rows[0]?.followed === true) {
      this.#wakeups?.notify(EVENTS_CHANNEL, stream);
    }
    await this.#budget.written(Number(rows[0]?.delta ?? 0), stream);
    return Number(rows[0]?.first_seq ?? 0);
  }

  /**
   * Registers a stream (resumable from its priming id before its first event), with this
   * instance as its writer and the requests it answers.
   */
  async open(sessionId: string, streamId: string, info?: StreamInfo): Promise<void> {
    await this.#keepAlive();
    await this.#write(sessionId, streamId, [], true, false, JSON.stringify(info?.requestIds ?? []));
  }

  /** Starts the heartbeat with the first stream: its row exists before a stream names this writer. */
  #keepAlive(): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("PostgresEventLog: closed"));
    return this.#heartbeat.start();
  }

  /** Appends an event and returns its id. */
  async append(sessionId: string, streamId: string, data: string): Promise<string> {
    return formatEventId(streamId, await this.#write(sessionId, streamId, [data], false, false));
  }

  /** Appends several events in order, in one statement; with `complete`, ends the stream. */
  async appendMany(
    sessionId: string,
    streamId: string,
    data: readonly string[],
    options?: AppendOptions,
  ): Promise<string[]> {
    const complete = options?.complete === true;
    if (data.length === 0 && !complete) return [];
    const first = await this.#write(sessionId, streamId, data, false, complete);
    return data.map((_, i) => formatEventId(streamId, first + i));
  }

  /** Marks a stream as ended (its followers wake and see the end). */
  async complete(sessionId: string, streamId: string): Promise<void> {
    await this.#write(sessionId, streamId, [], false, true);
  }

  /**
   * Events after `lastEventId` in its own stream (one statement); undefined for unknown,
   * malformed or future ids, and for ids from before events the budget took from a running
   * stream (a replay would skip them).
   */
  async replayAfter(sessionId: string, lastEventId: string): Promise<Replay | undefined> {
    const parsed = parseEventId(lastEventId);
    if (parsed === undefined) return undefined;
    const read = await readStream(
      { gate: this.#gate, namespace: this.#namespace, limit: this.#maxEvents },
      sessionId,
      parsed.streamId,
      parsed.seq,
      this.#now(),
    );
    return read === undefined ? undefined : replayOf(parsed.streamId, parsed.seq, read);
  }

  /**
   * Live tailing: events after `lastEventId`, or a wait for the next one or the end, woken by
   * the writer's notification or the poll interval (event_log_tails.ts); `writerLost` when the
   * writer's heartbeat lapsed before the stream ended.
   */
  async waitAfter(
    sessionId: string,
    lastEventId: string,
    options: WaitOptions,
  ): Promise<Replay | undefined> {
    const parsed = parseEventId(lastEventId);
    if (parsed === undefined) return undefined;
    return await this.#tails.wait(sessionId, parsed.streamId, parsed.seq, options);
  }

  /** Forgets every stream of a session (its followers end). */
  async deleteSession(sessionId: string): Promise<void> {
    const rows = await this.#gate.run(
      "event log",
      (sql) => sql`SELECT tether_event_forget(${this.#namespace}, ${sessionId}) AS ids`,
    );
    const ids = rows[0]?.ids;
    for (const id of Array.isArray(ids) ? ids : []) {
      this.#wakeups?.notify(EVENTS_CHANNEL, String(id));
    }
  }

  /**
   * Stops the heartbeat and deletes its row (this instance's unfinished streams then count as
   * lost for followers elsewhere at once); this process's followers' waits reject from now on.
   * Close the handler first: it finishes its streams. The backend closes its log.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeat.stop();
    this.#tails.close();
    if (this.#heartbeat.started) {
      await this.#gate.run("event log", (sql) =>
        sql`DELETE FROM tether_event_writers
        WHERE namespace = ${this.#namespace} AND instance = ${this.#instance}`).catch(() => {});
    }
  }
}
