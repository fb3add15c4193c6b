/**
 * The options resolved: an old top-level key refused, each table group
 * resolved from the one table (resolve_group.ts), the rest checked here
 * (checks.ts). What it returns is grouped as the options are (`http`,
 * `security`, `limits`, `sessions`, `streams`, `stateless`, `observe`), each
 * field named as its option; each era declares the groups it takes in terms
 * of its parts' types (legacy/settings.ts, modern/settings.ts) and is handed
 * these. Objects and functions given as options (stores, the bus,
 * `authenticate`) are passed on by handler.ts as given.
 * @module
 */

import type { Scheduler } from "../runtime.ts";
import type { CorsSettings } from "../http/cors.ts";
import { requiredHeaderName } from "../http/require_header.ts";
import { type CacheHints, checkCacheHint } from "../protocol/definitions/cache_hint.ts";
import type { RequestStateOptions } from "../modern/rounds/request_state.ts";
import type { EraOptions } from "../protocol/eras.ts";
import { checkIcons } from "../protocol/definitions/icons.ts";
import {
  cfworkerValidator,
  type JsonSchemaValidator,
} from "../protocol/schema/json_schema_validator.ts";
import {
  checkCorsOptions,
  checkRateLimits,
  checkRequestStateOptions,
  checkServerIdentity,
  concurrencyShare,
  limit,
  optionalFunction,
} from "./checks.ts";
import { DEFAULTS } from "./defaults.ts";
import { toldInOutage } from "../storage_outages.ts";
import { refuseMovedOptions } from "./moved_options.ts";
import type { HttpOptions, LimitOptions, McpHandlerOptions } from "./options.ts";
import { type ResolvedGroup, resolveGroup } from "./resolve_group.ts";

/** The groups whose fields resolution reads (`bus` is passed on as given). */
const GROUPS = [
  "http",
  "security",
  "auth",
  "limits",
  "sessions",
  "streams",
  "stateless",
  "observe",
] as const;

/**
 * The options with every default applied, by group: each table group's fields
 * as their option type declares them ({@linkcode ResolvedGroup}), beside the
 * options whose resolution is more than a default. The eras' settings types
 * (legacy/settings.ts, modern/settings.ts) are checked against it where the
 * handler hands it to them.
 */
export interface ResolvedOptions {
  http: ResolvedGroup<"http"> & Pick<HttpOptions, "healthPath">;
  security: {
    requireHeader: string | undefined;
    cors: CorsSettings | undefined;
  };
  limits:
    & ResolvedGroup<"limits">
    & Pick<LimitOptions, "maxConcurrentRequests" | "maxConcurrentRequestsPerPrincipal">;
  sessions: ResolvedGroup<"sessions">;
  streams: ResolvedGroup<"streams">;
  stateless: ResolvedGroup<"stateless"> & {
    cacheHints: CacheHints;
    /** `stateless.requestState` with its `ttlMs` and `maxBytes` defaults (checked; the codec is made on first use). */
    requestState: RequestStateOptions & { ttlMs: number; maxBytes: number };
  };
  observe: {
    /** `observe.onError`, or `console.error`; a storage fault told once for its outage is not told again. */
    onError: (error: unknown) => void;
  };
  eras: Required<EraOptions>;
  now: () => number;
  /** Undefined: the runtime's timers. */
  scheduler: Scheduler | undefined;
  jsonSchemaValidator: JsonSchemaValidator;
}

/**
 * Applies defaults and checks ranges; throws a RangeError or TypeError naming a bad option.
 *
 * @example
 * ```ts
 * import { resolveOptions } from "./resolve.ts";
 * resolveOptions({ name: "app", version: "1.0.0", http: { bodyTimeoutMs: 5_000 } }).http.bodyTimeoutMs; // 5_000
 * ```
 */
export function resolveOptions(options: McpHandlerOptions): ResolvedOptions {
  refuseMovedOptions(options);
  checkServerIdentity(options);
  for (const group of GROUPS) {
    const value = options[group];
    if (value !== undefined && (typeof value !== "object" || value === null)) {
      throw new TypeError(`Option ${group} must be an object`);
    }
  }
  checkIcons(options.icons, "Option icons");
  const { http = {}, security = {}, auth = {}, limits = {}, stateless = {} } = options;
  const { observe = {} } = options;
  const eras = {
    legacy: options.eras?.legacy ?? DEFAULTS.eras.legacy,
    modern: options.eras?.modern ?? DEFAULTS.eras.modern,
  };
  checkRequestStateOptions(stateless.requestState);
  checkRateLimits(limits.rateLimits);
  if (auth.oauth !== undefined && auth.authenticate !== undefined) {
    throw new TypeError(
      "Options auth.oauth and auth.authenticate cannot both be set: oauth authenticates with oauth.verifyAccessToken",
    );
  }
  if (typeof eras.legacy !== "boolean" && eras.legacy !== "stateless") {
    throw new RangeError('Option eras.legacy must be true, false or "stateless"');
  }
  if (!eras.legacy && !eras.modern) {
    throw new RangeError("Option eras must leave at least one era on");
  }
  const cacheHints = { ...stateless.cacheHints };
  for (const [method, hint] of Object.entries(cacheHints)) {
    checkCacheHint(hint, `Option stateless.cacheHints["${method}"]`);
    // A view makes what a list or read answers differ by caller: never shareable.
    if (options.view !== undefined && hint.cacheScope === "public") {
      throw new RangeError(
        `Option stateless.cacheHints["${method}"]: cacheScope "public" with a view (answers differ by caller)`,
      );
    }
  }
  const report = observe.onError ?? ((error: unknown) => console.error("[tether]", error));
  // A storage fault its store told once for its whole outage (the Redis backend) is not told again.
  const onError = (error: unknown) => {
    if (!toldInOutage(error)) report(error);
  };
  const authenticates = auth.authenticate !== undefined || auth.oauth !== undefined;
  const maxConcurrentRequests = limits.maxConcurrentRequests === undefined
    ? undefined
    : limit("limits.maxConcurrentRequests", limits.maxConcurrentRequests, 1);
  // Resolved in this order, so that of several bad options the same one is named as before.
  const httpGroup = resolveGroup("http", options.http);
  const limitsGroup = resolveGroup("limits", options.limits);
  const sessions = resolveGroup(
    "sessions",
    options.sessions,
    authenticates ? [] : ["sessions.maxAnonymousSessions"],
  );
  const streams = resolveGroup("streams", options.streams);
  const statelessGroup = resolveGroup("stateless", options.stateless);
  const mode = streams.responseMode;
  if (mode !== "auto" && mode !== "json" && mode !== "sse") {
    throw new RangeError(`Unknown streams.responseMode: ${mode}`);
  }
  const requestState = {
    ...stateless.requestState,
    ttlMs: stateless.requestState?.ttlMs ?? DEFAULTS["stateless.requestState"].ttlMs,
    maxBytes: stateless.requestState?.maxBytes ?? DEFAULTS["stateless.requestState"].maxBytes,
  };
  const requireHeader = requiredHeaderName(security.requireHeader);
  const cors = checkCorsOptions(security.cors, security.allowedOrigins, onError);
  const maxConcurrentRequestsPerPrincipal = concurrencyShare(
    maxConcurrentRequests,
    limits.maxConcurrentRequestsPerPrincipal,
  );
  return {
    http: { ...httpGroup, healthPath: http.healthPath },
    security: { requireHeader, cors },
    limits: { ...limitsGroup, maxConcurrentRequests, maxConcurrentRequestsPerPrincipal },
    sessions,
    streams,
    stateless: { ...statelessGroup, cacheHints, requestState },
    observe: { onError },
    eras,
    now: options.now ?? Date.now,
    scheduler: options.scheduler,
    jsonSchemaValidator: optionalFunction(
      "jsonSchemaValidator",
      options.jsonSchemaValidator,
      cfworkerValidator,
    ),
  };
}
