/**
 * `createPostgresBackend`: the session store, event log, message bus, rate-limit, task and DPoP
 * replay stores of several instances on one Postgres database, from a URL. It wires the rooms
 * beside it: one bounded pool and one listening connection (connection/: deadlines, outage
 * reports, wake-ups, the schema check), the stores (sessions/, event_log/, bus/, limits/, tasks/,
 * auth/) and the expiry sweep; it implements none of them.
 * @module
 */

import postgres from "postgres";
import { MAX_TIMER_MS } from "../runtime.ts";
import { StorageOutageError, StorageRecoveredError } from "../storage_outages.ts";
import { PostgresGate, redactedUrl } from "./connection/postgres_gate.ts";
import { hostChoice } from "./connection/postgres_hosts.ts";
import { checkSchema } from "./connection/postgres_schema.ts";
import { openWakeups, type Wakeups } from "./connection/postgres_wakeups.ts";
import { everyInterval, type ExpirySweepCounts, sweepExpired } from "./postgres_expiry.ts";
import { namespaceOf, PostgresSessionStore } from "./sessions/postgres_session_store.ts";
import { POSTGRES_DEFAULTS } from "./postgres_defaults.ts";
import { PostgresRateLimitStore } from "./limits/postgres_rate_limit_store.ts";
import type { StorageBackend } from "../storage/backend/storage_backend.ts";
import { PostgresEventLog } from "./event_log/postgres_event_log.ts";
import type { PostgresEventLogOptions } from "./event_log/event_log_options.ts";
import { PostgresBus } from "./bus/postgres_bus.ts";
import type { PostgresBusOptions } from "./bus/bus_options.ts";
import { PostgresTaskStore, type PostgresTaskStoreOptions } from "./tasks/postgres_task_store.ts";
import { PostgresDpopReplayStore } from "./auth/postgres_dpop_replay_store.ts";

/**
 * Where the backend connects.
 *
 * @example
 * ```ts
 * import type { PostgresTarget } from "@tether/mcp/postgres";
 * const direct: PostgresTarget = { url: "postgres://app@db:5432/app" };
 * const pooled: PostgresTarget = {
 *   url: "postgres://app@pgbouncer:6432/app",
 *   listenUrl: "postgres://app@db:5432/app",
 * };
 * const failover: PostgresTarget = {
 *   url: "postgres://app@db1:5432,db2:5432/app?target_session_attrs=read-write",
 * };
 * ```
 */
export interface PostgresTarget {
  /**
   * The pool's URL: the database, or a PgBouncer in transaction mode in front of it. Several
   * hosts (`postgres://app@db1:5432,db2:5432/app?target_session_attrs=read-write`): every
   * reconnect goes to the one that takes writes, so the instances follow a promoted standby.
   */
  url: string;
  /**
   * The listening connection's URL, direct to the database (`LISTEN` needs a session of its
   * own, which a transaction-mode pooler does not keep).
   * @default {url}
   */
  listenUrl?: string;
}

/**
 * Options of {@linkcode createPostgresBackend}.
 *
 * @example
 * ```ts
 * import type { PostgresBackendOptions } from "@tether/mcp/postgres";
 * const options: PostgresBackendOptions = { namespace: "app", poolSize: 4 };
 * ```
 */
export interface PostgresBackendOptions {
  /**
   * The namespace of every row the backend writes: several applications share one database.
   * @default {"tether"}
   */
  namespace?: string;
  /**
   * Connections of the pool (from 1 to 100): with the listening connection, each instance
   * holds `poolSize + 1` connections of the server's `max_connections`.
   * @default {3}
   */
  poolSize?: number;
  /**
   * How long one statement (or one transaction) may take, ms, waiting for a pooled connection
   * included. Past it the statement is cancelled and the request answered `503` +
   * `Retry-After`, so a paused server, a partition or an exhausted pool never hangs requests.
   * @default {2_000}
   */
  statementTimeoutMs?: number;
  /**
   * Server-side prepared statements (named, cached per connection): one round trip per
   * statement instead of two (postgres.js describes an unnamed statement's parameters first),
   * and each statement planned once per connection, not on every call. On by default when the
   * pool connects the way the listening connection does (no `listenUrl` of its own, `listen`
   * not turned off): a direct connection. Off by default when a `listenUrl` differs from `url`
   * or `listen` is `false`, the set-ups of a pooler in front: PgBouncer in transaction mode
   * before 1.21 (or without its `max_prepared_statements`) and the pooled endpoints of Neon,
   * Supabase or RDS Proxy break named statements. Set it to say which.
   * @default {true when connecting directly (see above), else false}
   */
  preparedStatements?: boolean;
  /**
   * How long connecting may take before it fails with a clear error, ms.
   * @default {5_000}
   */
  connectTimeoutMs?: number;
  /**
   * `false`: polling-only, no listening connection (for providers that offer pooled endpoints
   * only); readers find changes by polling at their bounded interval.
   * @default {true}
   */
  listen?: boolean;
  /**
   * How often this instance deletes its namespace's expired rows, ms (rate-limit budgets full
   * again, sessions more than `expiryGraceMs` past their deadline), in batches.
   * @default {60_000}
   */
  sweepIntervalMs?: number;
  /**
   * How long past its deadline a session's rows wait for a handler's sweep to report the
   * expiry before the backend's own sweep deletes them, ms.
   * @default {60_000}
   */
  expiryGraceMs?: number;
  /**
   * The event log's bounds, row lifetime, poll interval and writer timeout (its namespace is
   * the backend's): see `PostgresEventLogOptions`.
   * @default {each field at its own default}
   */
  eventLog?: Omit<PostgresEventLogOptions, "namespace">;
  /**
   * Options of the bus: its bounds per inbox, its poll interval and how long an instance counts
   * as alive (see {@linkcode PostgresBusOptions}).
   * @default {each field at its own default}
   */
  bus?: Omit<PostgresBusOptions, "onError">;
  /**
   * The task store's bounds and clock (`maxTasks`, `maxTotalResultBytes`,
   * `maxResultBytesPerPrincipal`, `now`); its namespace is the backend's.
   * @default {each field at its own default}
   */
  taskStore?: Omit<PostgresTaskStoreOptions, "namespace">;
  /**
   * Reports storage faults once per outage (a short `StorageOutageError`, then one
   * `StorageRecoveredError` at its first success). Default: `console.error`, one line.
   * @default {console.error}
   */
  onError?: (error: unknown) => void;
}

/**
 * What {@linkcode createPostgresBackend} made: pass the stores to `createMcpHandler`, and
 * `close()` after the handler's.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createPostgresBackend, type PostgresBackend } from "@tether/mcp/postgres";
 *
 * const backend: PostgresBackend = await createPostgresBackend({
 *   url: "postgres://app@127.0.0.1:5432/app",
 * });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   storage: backend,
 * });
 * // on shutdown:
 * await handler.close({ graceMs: 5_000 });
 * await backend.close();
 * ```
 */
export interface PostgresBackend extends StorageBackend {
  /** Wake-ups between instances (`LISTEN`/`NOTIFY`; never called back when polling-only). */
  readonly wakeups: Wakeups;
  /** Deletes the namespace's expired rows now (what the timer runs every `sweepIntervalMs`). */
  sweepExpired(now?: number): Promise<ExpirySweepCounts>;
  /** {@linkcode sweepExpired} without its counts. */
  sweep(now?: number): Promise<void>;
  /** Stops the sweep and the bus and closes the pool and the listening connection. */
  close(): Promise<void>;
}

/**
 * Connects to Postgres, refuses a schema that is missing or not this code's version (the
 * message says what to run: `migratePostgres`), and builds the stores of a multi-instance
 * server on one bounded pool (no session state, so it works through PgBouncer in transaction
 * mode; named statements only when connecting directly: `preparedStatements`) and one
 * listening connection. Fails with a clear error when Postgres cannot be reached
 * within `connectTimeoutMs`.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createPostgresBackend } from "@tether/mcp/postgres";
 *
 * const backend = await createPostgresBackend(
 *   { url: "postgres://app@127.0.0.1:5432/app" },
 *   { namespace: "app" },
 * );
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   storage: backend,
 *   limits: {
 *     rateLimits: { perPrincipal: { limit: 600, windowSeconds: 60 }, store: backend.rateLimitStore },
 *   },
 * });
 * ```
 */
export async function createPostgresBackend(
  target: PostgresTarget,
  options: PostgresBackendOptions = {},
): Promise<PostgresBackend> {
  if (typeof target?.url !== "string") {
    throw new TypeError("createPostgresBackend takes { url } (a postgres:// URL)");
  }
  const DEFAULT = POSTGRES_DEFAULTS.PostgresBackendOptions;
  const namespace = namespaceOf(options.namespace ?? DEFAULT.namespace);
  const poolSize = options.poolSize ?? DEFAULT.poolSize;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1 || poolSize > 100) {
    throw new RangeError("createPostgresBackend option poolSize must be an integer from 1 to 100");
  }
  const statementMs = timerOption(
    "statementTimeoutMs",
    options.statementTimeoutMs,
    DEFAULT.statementTimeoutMs,
  );
  const connectMs = timerOption(
    "connectTimeoutMs",
    options.connectTimeoutMs,
    DEFAULT.connectTimeoutMs,
  );
  const sweepMs = timerOption("sweepIntervalMs", options.sweepIntervalMs, DEFAULT.sweepIntervalMs);
  const graceMs = options.expiryGraceMs ?? DEFAULT.expiryGraceMs;
  const listen = options.listen ?? DEFAULT.listen;
  if (!(graceMs >= 0) || graceMs > MAX_TIMER_MS) {
    throw new RangeError(
      `createPostgresBackend option expiryGraceMs must be a number from 0 to ${MAX_TIMER_MS}`,
    );
  }
  const onError = options.onError ?? defaultOnError;
  const where = redactedUrl(target.url);
  const pool = postgres(target.url, {
    // A multi-host URL: only the server that takes writes (a promoted standby, after failover).
    ...hostChoice(target.url),
    max: poolSize,
    // No session state; named statements only where no pooler sits in front (see the option).
    prepare: options.preparedStatements ?? connectsDirectly(target, listen),
    connect_timeout: Math.max(1, Math.ceil(connectMs / 1_000)),
    idle_timeout: 60,
    backoff: reconnectDelaySeconds,
    onnotice: () => {},
    connection: { application_name: "tether" },
  });
  try {
    await withinDeadline(checkSchema(pool), connectMs, where);
  } catch (error) {
    await pool.end({ timeout: 0 }).catch(() => {});
    throw error;
  }
  // The first connection read the array types into the pool's shared parsers; later connections
  // need not read them again. postgres.js 3.4 starts that read on every new connection and drops
  // its promise, so a server going away while one opens rejected it unhandled (a crash:
  // porsager/postgres#1192). Built-in types keep their OIDs on every server, a promoted standby too.
  pool.options.fetch_types = false;
  const gate = new PostgresGate(pool, where, statementMs, onError);
  const wakeups = openWakeups({
    url: target.listenUrl ?? target.url,
    pool,
    gate,
    listen,
    timeoutMs: connectMs,
  });
  const bus = new PostgresBus(gate, wakeups, namespace, listen, { ...options.bus, onError });
  // Each read-and-touch records this instance as a holder of the session: its bus messages come here.
  const sessionStore = new PostgresSessionStore(gate, { namespace, holder: bus.instanceId });
  // Polling-only: the log sends no NOTIFY either (no instance listens).
  const eventLog = new PostgresEventLog(
    gate,
    { ...options.eventLog, namespace },
    listen ? wakeups : undefined,
  );
  const rateLimitStore = new PostgresRateLimitStore(gate, { namespace });
  const taskStore = new PostgresTaskStore(gate, { ...options.taskStore, namespace }, wakeups);
  const dpopReplayStore = new PostgresDpopReplayStore(gate, { namespace });
  const sweep = (now = Date.now()) => sweepExpired(gate, namespace, now, graceMs);
  const stopSweeping = everyInterval(() => sweep(), sweepMs);
  let closing: Promise<void> | undefined;
  return {
    sessionStore,
    eventLog,
    bus,
    rateLimitStore,
    taskStore,
    dpopReplayStore,
    wakeups,
    sweepExpired: sweep,
    sweep: async (now) => {
      await sweep(now);
    },
    close: () =>
      closing ??= (async () => {
        stopSweeping();
        await taskStore.close();
        await eventLog.close();
        await bus.close();
        await wakeups.close();
        await pool.end({ timeout: 1 });
      })(),
  };
}

/**
 * Seconds a pool connection waits before connecting again after failing to: doubling from 0.1 s to
 * at most 2 s, less up to half at random. postgres.js's own wait grows to 20 s after a few failures
 * and only a connection that succeeds resets it, so an instance under traffic through an outage
 * served again up to 20 s after Postgres did.
 */
function reconnectDelaySeconds(retries: number): number {
  return Math.min(0.1 * 2 ** retries, 2) * (0.5 + Math.random() / 2);
}

/** A timer option of {@linkcode createPostgresBackend}: from 1 ms to {@linkcode MAX_TIMER_MS}. */
function timerOption(name: string, value: number | undefined, fallback: number): number {
  const ms = value ?? fallback;
  if (!(ms >= 1) || ms > MAX_TIMER_MS) {
    throw new RangeError(
      `createPostgresBackend option ${name} must be a number from 1 to ${MAX_TIMER_MS}`,
    );
  }
  return ms;
}

/** `check`, or an error naming the server after `timeoutMs` (a connect that never answers). */
async function withinDeadline(check: Promise<void>, timeoutMs: number, where: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      check.catch((error: unknown) => {
        if (error instanceof Error && error.message.startsWith("tether:")) throw error;
        const cause = error instanceof Error ? `: ${error.message}` : "";
        throw new Error(`tether: cannot reach Postgres at ${where}${cause}`, { cause: error });
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`tether: cannot reach Postgres at ${where} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** `console.error`, an outage's notice on one line, anything else with its stack. */
function defaultOnError(error: unknown): void {
  if (error instanceof StorageOutageError || error instanceof StorageRecoveredError) {
    console.error(`tether: Postgres: ${error.message}`);
  } else console.error("tether: Postgres:", error);
}

/**
 * Whether the pool connects directly to the database, as the defaults judge it: it listens on
 * the same URL. A separate `listenUrl`, or no listening at all, is how a pooler in front is set
 * up (`PostgresTarget`).
 *
 * @example
 * ```ts ignore (internal: the backend's default for preparedStatements)
 * connectsDirectly({ url: "postgres://app@db/app" }, true); // true
 * connectsDirectly({ url: "postgres://app@pgbouncer:6432/app", listenUrl: "postgres://app@db/app" }, true); // false
 * ```
 */
export function connectsDirectly(target: PostgresTarget, listen: boolean): boolean {
  return listen && (target.listenUrl === undefined || target.listenUrl === target.url);
}
