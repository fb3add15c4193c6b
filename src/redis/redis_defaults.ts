/**
 * The one table of the Redis subpath's defaults (`@tether/mcp/redis`), by
 * option type and field: the backend, the bus, the session store, the event
 * log and the task store read their defaults here and nowhere else, and every
 * numeric `@default` of those types matches it (scripts/options_reference.ts
 * checks; docs/options.md lists them). Defaults computed from another option
 * (`budgetBooks`, a principal's result share) are their
 * tags' words.
 * @module
 */

import { TASKS_DEFAULTS } from "../extensions/tasks/tasks_defaults.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * The defaults of `createRedisBackend` and the Redis stores, by option type and field.
 *
 * @example
 * ```ts
 * import { REDIS_DEFAULTS } from "./redis_defaults.ts";
 * REDIS_DEFAULTS.RedisBackendOptions.commandTimeoutMs; // 2_000
 * ```
 */
export const REDIS_DEFAULTS = {
  RedisBackendOptions: {
    prefix: "tether:",
    connectTimeoutMs: 5 * SECOND,
    commandTimeoutMs: 2 * SECOND,
  },
  RedisBusOptions: {
    prefix: "tether:",
    maxLength: 10_000,
    maxMessageBytes: MiB,
    maxBytes: 64 * MiB,
    blockMs: 5 * SECOND,
    aliveMs: 15 * SECOND,
  },
  RedisSessionStoreOptions: {
    prefix: "tether:",
    expiryGraceMs: MINUTE,
  },
  RedisEventLogOptions: {
    prefix: "tether:",
    maxEventsPerStream: 1_000,
    maxStreamsPerSession: 64,
    maxBytesPerSession: MiB,
    maxTotalBytes: 256 * MiB,
    ttlSeconds: 24 * 60 * 60,
    flushWindowMs: 50,
    budgetBatchMs: 1_000,
    maxTailConnections: 3,
    tailIdleMs: 30 * SECOND,
    instanceTimeoutMs: 6 * SECOND,
  },
  RedisTaskStoreOptions: {
    prefix: "tether:",
    maxTasks: 100_000,
    maxTotalResultBytes: TASKS_DEFAULTS.MemoryTaskStoreOptions.maxTotalResultBytes,
  },
  RedisRateLimitStoreOptions: { prefix: "tether:" },
  RedisDpopReplayStoreOptions: { prefix: "tether:" },
} as const;
