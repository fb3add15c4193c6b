/**
 * The one table of the Postgres subpath's defaults (`@tether/mcp/postgres`), by option type and
 * field: the backend, the session store, the event log, the bus, the task, rate-limit and DPoP
 * replay stores read their defaults here and nowhere else, and every numeric `@default` of those
 * types matches it (scripts/options_reference.ts checks; docs/options.md lists them). Defaults
 * computed from another option (`preparedStatements`, a principal's result share, a bus message
 * at most `maxBytes`) are their tags' words; the event log's poll interval without wake-ups,
 * which depends on `listen`, is {@linkcode POLLING_ONLY_POLL_INTERVAL_MS} here too.
 * @module
 */

import { TASKS_DEFAULTS } from "../extensions/tasks/tasks_defaults.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * The defaults of `createPostgresBackend` and the Postgres stores, by option type and field.
 *
 * @example
 * ```ts
 * import { POSTGRES_DEFAULTS } from "./postgres_defaults.ts";
 * POSTGRES_DEFAULTS.PostgresBackendOptions.statementTimeoutMs; // 2_000
 * ```
 */
export const POSTGRES_DEFAULTS = {
  PostgresBackendOptions: {
    namespace: "tether",
    poolSize: 3,
    statementTimeoutMs: 2 * SECOND,
    connectTimeoutMs: 5 * SECOND,
    listen: true,
    sweepIntervalMs: MINUTE,
    expiryGraceMs: MINUTE,
  },
  PostgresSessionStoreOptions: {
    namespace: "tether",
    maxSweptPerSweep: 10_000,
  },
  PostgresEventLogOptions: {
    namespace: "tether",
    maxEventsPerStream: 1_000,
    maxStreamsPerSession: 64,
    maxBytesPerSession: MiB,
    maxTotalBytes: 256 * MiB,
    ttlSeconds: 24 * 60 * 60,
    pollIntervalMs: SECOND,
    instanceTimeoutMs: 6 * SECOND,
  },
  PostgresBusOptions: {
    maxLength: 10_000,
    maxMessageBytes: MiB,
    maxBytes: 64 * MiB,
    pollIntervalMs: SECOND,
    aliveMs: 15 * SECOND,
  },
  PostgresTaskStoreOptions: {
    namespace: "tether",
    maxTasks: 100_000,
    maxTotalResultBytes: TASKS_DEFAULTS.MemoryTaskStoreOptions.maxTotalResultBytes,
  },
  PostgresRateLimitStoreOptions: { namespace: "tether" },
  PostgresDpopReplayStoreOptions: { namespace: "tether" },
} as const;

/**
 * The event log's `pollIntervalMs` when it has no wake-ups (the backend's `listen: false`),
 * ms: every event then waits for a poll, so followers poll more often than the
 * {@linkcode POSTGRES_DEFAULTS} interval, which only bounds the latency of a lost notification.
 * Kept beside the table, not in it: the table holds one default per option field.
 *
 * @example
 * ```ts
 * import { POLLING_ONLY_POLL_INTERVAL_MS } from "./postgres_defaults.ts";
 * POLLING_ONLY_POLL_INTERVAL_MS; // 250
 * ```
 */
export const POLLING_ONLY_POLL_INTERVAL_MS = 250;
