/**
 * The one table of option defaults: every default of {@linkcode createMcpHandler}
 * that is a plain value lives here and nowhere else. Resolution (resolve.ts)
 * reads it; docs/options.md is generated from it (scripts/options_reference.ts),
 * which also checks each field's `@default` tag against it. Defaults that are
 * objects or functions (the memory stores, the clock) are made in resolution
 * and described by their `@default` tag only.
 * @module
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * The defaults, by group and field, as the public options name them.
 *
 * @example
 * ```ts
 * import { DEFAULTS } from "./defaults.ts";
 * DEFAULTS.http.bodyTimeoutMs; // 30_000: a body slower than this gets 408
 * ```
 */
export const DEFAULTS = {
  eras: { legacy: true, modern: true },
  http: {
    path: "/mcp",
    strictAccept: true,
    maxBodyBytes: 4 * MiB,
    bodyTimeoutMs: 30 * SECOND,
    maxJsonDepth: 64,
    maxIdBytes: 256,
  },
  security: {
    allowedHosts: ["localhost", "127.0.0.1", "[::1]"],
    allowedOrigins: [],
  },
  limits: {
    pageSize: 100,
    maxUriBytes: 8 * KiB,
  },
  sessions: {
    idleTtlMs: 30 * MINUTE,
    absoluteTtlMs: 4 * 60 * MINUTE,
    maxSessions: 10_000,
    sweepIntervalMs: MINUTE,
    maxStateBytes: 64 * KiB,
    maxSubscriptions: 1_000,
    maxSubscriptionBytes: 32 * KiB,
    retryAfterSeconds: 30,
    maxRequestsPerSession: 64,
  },
  streams: {
    responseMode: "auto",
    heartbeatMs: 15 * SECOND,
    retryMs: SECOND,
    maxStreamBufferBytes: MiB,
    listeningStream: true,
    clientRequestTimeoutMs: 5 * MINUTE,
    orphanTimeoutMs: MINUTE,
  },
  stateless: {
    maxListenStreams: 512,
    maxListenStreamsPerPrincipal: 32,
    maxListenSubscriptions: 1_000,
    maxListenSubscriptionBytes: 32 * KiB,
    maxRequestsPerPrincipal: 128,
  },
  "security.cors": { origins: [], credentials: false, maxAgeSeconds: 600, allowHeaders: [] },
  "stateless.requestState": { ttlMs: 10 * MINUTE, maxBytes: 64 * KiB },
  "auth.oauth.dpop": {
    algorithms: ["ES256", "EdDSA", "RS256", "PS256"],
    maxAgeSeconds: 60,
    clockSkewSeconds: 5,
    maxReplayEntries: 100_000,
    nonceSlotSeconds: 60,
  },
} as const;

/**
 * Defaults that are a share of a pool: `1/parts` of the pool, rounded down,
 * at least 1 (see `shareOf` in checks.ts). Keyed like {@linkcode DEFAULTS}.
 */
export const DEFAULT_SHARES = {
  "limits.maxConcurrentRequestsPerPrincipal": { of: "limits.maxConcurrentRequests", parts: 4 },
  "sessions.maxSessionsPerPrincipal": { of: "sessions.maxSessions", parts: 4 },
  /** With `auth`; without it every caller is anonymous and the default is the whole pool. */
  "sessions.maxAnonymousSessions": { of: "sessions.maxSessions", parts: 16 },
  /** Ten principals at their share fill the replay cache; one never does. */
  "auth.oauth.dpop.maxReplayEntriesPerPrincipal": {
    of: "auth.oauth.dpop.maxReplayEntries",
    parts: 10,
  },
} as const;
