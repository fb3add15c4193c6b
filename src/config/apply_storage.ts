/**
 * The `storage` option applied: one {@linkcode StorageBackend} fills every
 * storage seam a handler has, unless the option of that seam is given
 * itself: `sessions.store`, `streams.eventLog`, `bus`,
 * `limits.rateLimits.store` (when rate limits are on) and
 * `auth.oauth.dpop.replayStore` (when DPoP is on). The task store stays
 * explicit: `tasksExtension({ store: backend.taskStore })`. It opens and
 * closes nothing: close the backend after the handler.
 * @module
 */

import type { McpHandlerOptions } from "./options.ts";
import type { StorageBackend } from "../storage/backend/storage_backend.ts";

/** The shape checked at startup: an object with every seam of {@linkcode StorageBackend}. */
const SEAMS = [
  "sessionStore",
  "eventLog",
  "bus",
  "rateLimitStore",
  "taskStore",
  "dpopReplayStore",
] as const;

/**
 * `options` with each storage seam it leaves unset taken from
 * `options.storage` (the option given for a seam wins). A `storage` that is
 * not a backend (a seam missing, `sweep` or `close` not a function) throws
 * a TypeError that names what is missing.
 *
 * @example
 * ```ts ignore (internal: createMcpHandler calls it first)
 * const resolved = withStorage({ name: "app", version: "1.0.0", storage: backend });
 * ```
 */
export function withStorage(options: McpHandlerOptions): McpHandlerOptions {
  const storage = options.storage;
  if (storage === undefined) return options;
  checkBackend(storage);
  const { auth, limits } = options;
  const dpop = auth?.oauth?.dpop;
  return {
    ...options,
    sessions: { ...options.sessions, store: options.sessions?.store ?? storage.sessionStore },
    streams: { ...options.streams, eventLog: options.streams?.eventLog ?? storage.eventLog },
    bus: options.bus ?? storage.bus,
    limits: limits?.rateLimits === undefined ? limits : {
      ...limits,
      rateLimits: {
        ...limits.rateLimits,
        store: limits.rateLimits.store ?? storage.rateLimitStore,
      },
    },
    auth: dpop === undefined || auth?.oauth === undefined ? auth : {
      ...auth,
      oauth: {
        ...auth.oauth,
        dpop: { ...dpop, replayStore: dpop.replayStore ?? storage.dpopReplayStore },
      },
    },
  };
}

function checkBackend(storage: unknown): asserts storage is StorageBackend {
  const given = storage as Record<string, unknown> | null;
  const missing = typeof given !== "object" || given === null ? ["every seam"] : [
    ...SEAMS.filter((seam) => typeof given[seam] !== "object" || given[seam] === null),
    ...(["sweep", "close"] as const).filter((method) => typeof given[method] !== "function"),
  ];
  if (missing.length > 0) {
    throw new TypeError(
      `Option storage must be a StorageBackend (what createRedisBackend or ` +
        `createPostgresBackend returns); missing: ${missing.join(", ")}`,
    );
  }
}
