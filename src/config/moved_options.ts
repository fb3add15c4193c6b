/**
 * The top-level options that moved into groups before 1.0, and the startup
 * refusal of one given at its old place (no aliases: an old key would be
 * silently ignored otherwise). It knows names only, never values.
 * @module
 */

/** Each old top-level key and the group it moved to (same field name inside it). */
export const MOVED_OPTIONS: Readonly<Record<string, string>> = {
  path: "http",
  healthPath: "http",
  strictAccept: "http",
  maxBodyBytes: "http",
  bodyTimeoutMs: "http",
  maxJsonDepth: "http",
  maxIdBytes: "http",
  allowedHosts: "security",
  allowedOrigins: "security",
  cors: "security",
  requireHeader: "security",
  authenticate: "auth",
  oauth: "auth",
  maxConcurrentRequests: "limits",
  maxConcurrentRequestsPerPrincipal: "limits",
  rateLimit: "limits",
  rateLimits: "limits",
  pageSize: "limits",
  maxUriBytes: "limits",
  generateSessionId: "sessions",
  responseMode: "streams",
  heartbeatMs: "streams",
  retryMs: "streams",
  maxStreamBufferBytes: "streams",
  listeningStream: "streams",
  eventLog: "streams",
  clientRequestTimeoutMs: "streams",
  orphanTimeoutMs: "streams",
  requestState: "stateless",
  cacheHints: "stateless",
  maxListenStreams: "stateless",
  maxListenStreamsPerPrincipal: "stateless",
  maxListenSubscriptionBytes: "stateless",
  maxRequestsPerPrincipal: "stateless",
  onEvent: "observe",
  onError: "observe",
};

/**
 * Throws a TypeError naming the new place of the first old top-level key in
 * `options` (e.g. `maxBodyBytes` is now `http.maxBodyBytes`).
 *
 * @example
 * ```ts
 * import { refuseMovedOptions } from "./moved_options.ts";
 * refuseMovedOptions({ name: "app", version: "1", maxBodyBytes: 1024 });
 * // TypeError: Option maxBodyBytes moved: write http: { maxBodyBytes } (docs/options.md)
 * ```
 */
export function refuseMovedOptions(options: object): void {
  for (const key of Object.keys(options)) {
    const group = Object.hasOwn(MOVED_OPTIONS, key) ? MOVED_OPTIONS[key] : undefined;
    if (group !== undefined) {
      throw new TypeError(
        `Option ${key} moved: write ${group}: { ${key} } (${group}.${key}; docs/options.md)`,
      );
    }
  }
}
