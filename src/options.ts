/**
 * Every option of {@linkcode createMcpHandler}, with its default, in one place,
 * and their resolution: defaults applied, each value checked.
 *
 * The checks themselves (a positive number, a limit, a timer delay, …) live
 * in option_checks.ts; this module names the options and their defaults.
 * @module
 */

import type { McpEventListener } from "./events.ts";
import type { CorsOptions, CorsSettings } from "./http/cors.ts";
import type { RateLimiter } from "./http/rate_limit.ts";
import type { RateLimitsOptions } from "./http/rate_limits_options.ts";
import { requiredHeaderName } from "./http/require_header.ts";
import type { RequestStateOptions } from "./modern/request_state.ts";
import { type CacheHint, checkCacheHint } from "./protocol/cache_hint.ts";
import type { Principal } from "./protocol/context.ts";
import type { EraOptions } from "./protocol/eras.ts";
import { checkIcons } from "./protocol/icons.ts";
import type { Icon } from "./protocol/types.ts";
import type { Extension } from "./protocol/extensions.ts";
import type {
  AnyPromptDefinition,
  AnyToolDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
} from "./protocol/definitions.ts";
import type { SessionOptions } from "./legacy/sessions/session_options.ts";
import { resolveSessionSettings, type SessionSettings } from "./session_settings.ts";
import type { EventLog } from "./legacy/event_log.ts";
import type { MessageBus } from "./bus/message_bus.ts";
import type { OAuthOptions } from "./oauth_options.ts";
import {
  checkCorsOptions,
  checkRateLimits,
  checkRequestStateOptions,
  checkServerIdentity,
  concurrencyShare,
  delay,
  limit,
  optionalFunction,
  wholeNumber,
} from "./option_checks.ts";
import { cfworkerValidator, type JsonSchemaValidator } from "./protocol/json_schema_validator.ts";

export { MAX_TIMER_MS } from "./option_checks.ts";
export type { SessionOptions } from "./legacy/sessions/session_options.ts";

/**
 * How a POST that carries requests is answered.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type ResponseMode } from "@tether/mcp";
 * const responseMode: ResponseMode = "sse"; // every answer on a resumable stream
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], responseMode });
 * ```
 */
export type ResponseMode = "auto" | "json" | "sse";

/**
 * Options of {@linkcode createMcpHandler}.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type McpHandlerOptions } from "@tether/mcp";
 * const options: McpHandlerOptions = { name: "app", version: "1.0.0", tools: [], allowedHosts: ["mcp.example.com"] };
 * const handler = createMcpHandler(options);
 * ```
 */
export interface McpHandlerOptions {
  /** Server name, sent as `serverInfo.name`. */
  name: string;
  /** Server version, sent as `serverInfo.version`. */
  version: string;
  /** Human-friendly server title. */
  title?: string;
  /**
   * Icons for the server, sent in `serverInfo` (2025-11-25 and later; older
   * clients ignore them). Each `src` is an `https:`/`http:` URL or a `data:`
   * URI, checked at startup. Default: none.
   */
  icons?: readonly Icon[];
  /** The server's website, sent as `serverInfo.websiteUrl` (an `https:` or `http:` URL). Default: none. */
  websiteUrl?: string;
  /** Guidance for the model, sent in the InitializeResult. */
  instructions?: string;
  /** Tools. Giving the option (even `[]`) advertises the tools capability. */
  tools?: readonly AnyToolDefinition[];
  /** Fixed resources. */
  resources?: readonly ResourceDefinition[];
  /** Resource templates. */
  resourceTemplates?: readonly ResourceTemplateDefinition[];
  /** Prompts. */
  prompts?: readonly AnyPromptDefinition[];
  /**
   * Compiles each tool's raw JSON Schema (input and output, draft 2020-12)
   * into a check, once at startup; it throws for a schema it cannot enforce
   * in full, and the server refuses to start. Standard Schemas (zod,
   * Valibot, ArkType) are validated by their own library instead.
   * Default: `@cfworker/json-schema`, refusing `$dynamicRef`,
   * `$dynamicAnchor`, `$vocabulary`, unknown `format`s and `$ref`s that do
   * not resolve within the schema.
   */
  jsonSchemaValidator?: JsonSchemaValidator;
  /**
   * Extensions (`tasksExtension()`, your own): each is advertised under
   * `capabilities.extensions` and adds its methods, notifications and
   * `tools/call` step. Default: none.
   */
  extensions?: readonly Extension[];

  /** The endpoint path. Default `/mcp`; `null` serves every path (for mounting under a router). */
  path?: string | null;
  /** A path answering `200 {"status":"ok"}` to GET, before any other check (no auth). Off by default. */
  healthPath?: string;
  /** Accepted `Host` names (`name` or `name:port`; `"*"` for any). Default: localhost, 127.0.0.1, [::1], any port. */
  allowedHosts?: readonly string[];
  /** Accepted `Origin`s besides the server's own host (`"*"` for any). Default: none. */
  allowedOrigins?: readonly string[];
  /**
   * CORS for web pages on other origins: preflights are answered (`204`),
   * and every answer, errors included, grants the origin and exposes
   * `Mcp-Session-Id`, `MCP-Protocol-Version`, `WWW-Authenticate` and
   * `Retry-After`. The origins it allows pass the Origin guard; an origin
   * the guard refuses (`403`) is granted nothing. Off by default: no
   * `Access-Control-*` header is sent and OPTIONS is `405`.
   * @default {undefined}
   */
  cors?: CorsOptions;
  /** Require `Accept` to list both JSON and SSE on POST (406 otherwise). Default true. */
  strictAccept?: boolean;
  /** Largest POST body, bytes (413 beyond). Default 4 MiB. */
  maxBodyBytes?: number;
  /**
   * How long a POST body may take to arrive, ms, from when reading starts; a
   * slower or stalled body gets `408` (checked four times per period, so
   * within a quarter of it after the deadline). Deno never times out a slow
   * body, nor does Bun with `idleTimeout: 0`, so this is the bound. Default 30,000.
   */
  bodyTimeoutMs?: number;
  /** Deepest JSON nesting accepted (400 beyond). Default 64. */
  maxJsonDepth?: number;
  /** Items per page of the list methods. Default 100. */
  pageSize?: number;
  /**
   * Longest resource URI accepted by `resources/read`, `resources/subscribe`,
   * `resources/unsubscribe` and completion references, UTF-8 bytes (longer:
   * `-32602`). Default 8 KiB.
   */
  maxUriBytes?: number;
  /**
   * Longest request id or progress token, UTF-8 bytes (string ids and tokens
   * only; numbers are bounded already). A longer id is refused with `400` and
   * `-32600`, a longer progress token with `400` and `-32602`. Default 256.
   */
  maxIdBytes?: number;

  /**
   * Identifies the caller. Return a principal, or undefined for an anonymous
   * caller; throw {@linkcode AuthenticationError} (or any error with a
   * `response`) to refuse with that response (typically 401 + WWW-Authenticate).
   */
  authenticate?: (request: Request) => Principal | undefined | Promise<Principal | undefined>;
  /**
   * Serve as an OAuth 2.1 protected resource: every MCP request needs a
   * bearer token that `oauth.verifyAccessToken` accepts (401 with
   * `WWW-Authenticate: Bearer resource_metadata="…"` otherwise), and the
   * RFC 9728 metadata is served. It authenticates, so it cannot be set
   * together with `authenticate`. Off by default.
   */
  oauth?: OAuthOptions;
  /** Session lifetime, cap and store. */
  sessions?: SessionOptions;

  /**
   * `auto` (default): JSON unless the handler emits before its result or runs
   * longer than 200 ms, then SSE (resumable, and a client that leaves is
   * noticed). `json` or `sse` force one.
   */
  responseMode?: ResponseMode;
  /** Heartbeat comments on open SSE connections, ms; 0 disables. Default 15,000. */
  heartbeatMs?: number;
  /** The `retry:` hint sent with priming events, ms. Default 1,000. */
  retryMs?: number;
  /** Bytes one SSE connection may queue for a slow reader before it is dropped. Default 1 MiB. */
  maxStreamBufferBytes?: number;
  /** Serve the GET listening stream (405 when false). Default true. */
  listeningStream?: boolean;
  /** Where SSE events are kept for resumption. Default: a new {@linkcode MemoryEventLog}. */
  eventLog?: EventLog;
  /**
   * How several instances of one server reach each other's work:
   * cancellations, client replies, session ends, notifications, listening
   * takeover. Default: none (one process). `createRedisBackend` in
   * `@tether/mcp/redis` gives one; `MemoryBus` peers connect
   * handlers in one process.
   */
  bus?: MessageBus;
  /** How long `ctx.elicit`/`sample`/`listRoots` wait for the client by default, ms. Default 5 minutes. */
  clientRequestTimeoutMs?: number;
  /**
   * How long work may run once its client's connection is gone and no
   * client has resumed its stream, ms; then its `ctx.signal` aborts with
   * reason `"abandoned"`. A resume (GET with `Last-Event-ID`) within it
   * keeps the work running. Default 60 s: longer than the official SDK's
   * reconnection backoff, short enough that dropped calls cannot pile up.
   */
  orphanTimeoutMs?: number;

  /**
   * Which protocol eras to serve. Default: both. Legacy-only answers modern
   * requests (`server/discover`) with `404` + `-32601`, so dual-era clients
   * fall back to `initialize`; modern-only answers `initialize` with `400` +
   * `-32022` and GET/DELETE with `405`. `{ legacy: "stateless" }` serves
   * 2025 clients without sessions (serverless hosts without a shared store).
   */
  eras?: EraOptions;
  /**
   * How the 2026-07-28 `requestState` is sealed (AES-256-GCM). `keys`: one or
   * more secrets of at least 32 bytes; the first seals, every one opens (key
   * rotation). Without keys a random key is made per process, so a retry that
   * reaches another instance is refused: several instances need a shared key.
   * `ttlMs` (default 10 minutes) bounds how long a state stays valid.
   */
  requestState?: RequestStateOptions;
  /**
   * Cache hints sent with 2026-07-28 results of `server/discover`, the four
   * list methods and `resources/read` (a resource's own `cache` wins).
   * Default `{ ttlMs: 0, cacheScope: "private" }`.
   */
  cacheHints?: Partial<
    Record<
      | "server/discover"
      | "tools/list"
      | "prompts/list"
      | "resources/list"
      | "resources/templates/list"
      | "resources/read",
      CacheHint
    >
  >;
  /**
   * Open `subscriptions/listen` streams allowed at once (2026-07-28); one
   * more is answered `-32603`. Each holds a file descriptor for as long as it
   * is open, and Deno exits when the process runs out of them (a bare
   * `Deno.serve` too: bench/fd_limit.ts): the default stays below half of the
   * common `ulimit -n 1024`, leaving the rest for calls, the listener and
   * storage. Raise it together with `ulimit -n` (README, "File descriptors").
   * @default {512}
   */
  maxListenStreams?: number;
  /**
   * Open `subscriptions/listen` streams one principal may hold (2026-07-28);
   * one more is answered `429` + `Retry-After: 30` with `-32004`. Every
   * anonymous caller is the one anonymous principal, so anonymous callers
   * share this many and can never fill the pool for authenticated ones.
   * Default 32: a client holds one stream, so a user's clients (or a
   * gateway's few) fit, while one caller holds at most 1/16 of the default
   * pool and far fewer connections than the open-file limit (Deno fails
   * near 1,010 open connections under `ulimit -n 1024`). A public server
   * without `authenticate` should raise it: all its callers share it. Per
   * process: behind a load balancer, per instance.
   * @default {32}
   */
  maxListenStreamsPerPrincipal?: number;
  /**
   * UTF-8 bytes of the resource URIs one `subscriptions/listen` request may
   * name, all together (a URI named twice counts once); more is refused with
   * `-32602` and opens nothing. The 2026-07-28 mirror of
   * `sessions.maxSubscriptionBytes` (a listen stream holds its URIs as long
   * as it is open: 1 MB each made 1,024 streams cost 1.4 to 3.3 GB).
   * Default 32 KiB.
   * @default {32768}
   */
  maxListenSubscriptionBytes?: number;
  /**
   * 2026-07-28 requests one principal may have in flight at once (sessionful
   * requests are bounded per session by `sessions.maxRequestsPerSession`);
   * one more is answered `429` + `Retry-After: 1` with `-32004` and does not
   * run. Anonymous callers share it. Default 128: twice a session's 64. A
   * call in flight costs about 94 KB and a connection (3,000 at once took
   * 282 MB and 3,024 file descriptors), so one principal holds at most about
   * 12 MB and 128 descriptors. Per process.
   * @default {128}
   */
  maxRequestsPerPrincipal?: number;

  /**
   * A header every request must carry (e.g. `"x-mcp-client"`), or `403`. A
   * defence in depth against cross-site requests: an HTML form cannot set
   * it, and a browser `fetch` that sets it must pass a CORS preflight first.
   * Off by default.
   */
  requireHeader?: string;
  /**
   * Consulted before `authenticate` (so a flood of bad tokens is not a flood
   * of credential look-ups): a refusal answers `429` + `Retry-After`. Use
   * {@linkcode tokenBucket} or your own. Off by default.
   */
  rateLimit?: RateLimiter;
  /**
   * Budgets per principal (every request, after `authenticate`; all
   * anonymous callers are one) and per (principal, tool) at `tools/call`,
   * both eras; past one a request gets `429` + `Retry-After` +
   * `RateLimit-Policy` / `RateLimit` with `-32004` and runs nothing. Kept
   * in `store` (per process by default; `@tether/mcp/redis`'s
   * `RedisRateLimitStore` shares them between instances); a failing store
   * answers `503` + `Retry-After: 1`. Off by default.
   */
  rateLimits?: RateLimitsOptions;
  /**
   * Requests handled at once; more get `503` + `Retry-After: 1` before their
   * body is read. A POST answered on a stream counts until its handlers
   * return, even when the client hangs up first; listening streams count
   * only while being set up. Off by default.
   */
  maxConcurrentRequests?: number;
  /**
   * Places of `maxConcurrentRequests` one principal may hold; past it a
   * request of that principal is answered `429` + `Retry-After: 1` with
   * `-32004`, so one caller holding slow calls (and hanging up) cannot keep
   * everyone else at `503`. Only POSTs that carry a request count, once the
   * caller is authenticated: a reply or a cancellation always reaches its
   * work, and a body still arriving holds only its place in the pool (for
   * at most `bodyTimeoutMs`). Anonymous callers share one share. Per
   * process, like the pool. Applies only with
   * `authenticate` or `oauth`: without them every caller is the anonymous principal, and
   * a share would only shrink the pool. Needs `maxConcurrentRequests`.
   * Default: a quarter of the pool (rounded down, at least 1), so the
   * anonymous callers and one account together hold at most half of it and
   * a third principal is still served.
   * @default {Math.max(1, Math.floor(maxConcurrentRequests / 4))}
   */
  maxConcurrentRequestsPerPrincipal?: number;

  /**
   * Told about what happens, as structured {@linkcode McpEvent}s: sessions
   * created and ended (with the reason), requests answered (method, era,
   * status, duration), refusals (the step that refused), dropped streams,
   * client-request timeouts; for a logger or OpenTelemetry. Called on the
   * request's path, so keep it cheap. Nothing is built without it; a
   * throwing listener is reported to `onError` and breaks nothing.
   * `stats()` counts the same events either way.
   */
  onEvent?: McpEventListener;

  /** The clock, ms since the epoch. Default `Date.now`. Inject for tests. */
  now?: () => number;
  /**
   * Internal, for tests: the clock and timers of close()'s wait for aborted work and of a
   * session resource's disposal bound. Default the runtime's (`performance.now`, `setTimeout`).
   */
  scheduler?: {
    now(): number;
    setTimeout(callback: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
  };
  /** Mints session ids. Default: 192 random bits, base64url. Must return visible ASCII. */
  generateSessionId?: () => string;
  /** Told about unexpected errors (bugs in handlers, store failures). Default: `console.error`. */
  onError?: (error: unknown) => void;
}

/** The options with every default applied. */
export interface ResolvedOptions extends SessionSettings {
  path: string | null;
  healthPath: string | undefined;
  strictAccept: boolean;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  maxJsonDepth: number;
  pageSize: number;
  maxUriBytes: number;
  maxIdBytes: number;
  responseMode: ResponseMode;
  heartbeatMs: number;
  retryMs: number;
  maxStreamBufferBytes: number;
  listeningStream: boolean;
  clientRequestTimeoutMs: number;
  orphanTimeoutMs: number;
  eras: Required<EraOptions>;
  cacheHints: NonNullable<McpHandlerOptions["cacheHints"]>;
  maxListenStreams: number;
  maxListenStreamsPerPrincipal: number;
  maxListenSubscriptionBytes: number;
  maxRequestsPerPrincipal: number;
  requireHeader: string | undefined;
  cors: CorsSettings | undefined;
  maxConcurrentRequests: number | undefined;
  maxConcurrentRequestsPerPrincipal: number | undefined;
  now: () => number;
  /** Undefined: the runtime's timers. */
  scheduler: McpHandlerOptions["scheduler"];
  onError: (error: unknown) => void;
  jsonSchemaValidator: JsonSchemaValidator;
}

/** Applies defaults and checks ranges; throws a RangeError naming a bad option. */
export function resolveOptions(options: McpHandlerOptions): ResolvedOptions {
  checkServerIdentity(options);
  checkIcons(options.icons, "Option icons");
  const sessions = options.sessions ?? {};
  const mode = options.responseMode ?? "auto";
  const eras = { legacy: options.eras?.legacy ?? true, modern: options.eras?.modern ?? true };
  checkRequestStateOptions(options.requestState);
  checkRateLimits(options.rateLimits);
  if (options.oauth !== undefined && options.authenticate !== undefined) {
    throw new TypeError(
      "Options oauth and authenticate cannot both be set: oauth authenticates with oauth.verifyAccessToken",
    );
  }
  if (typeof eras.legacy !== "boolean" && eras.legacy !== "stateless") {
    throw new RangeError('Option eras.legacy must be true, false or "stateless"');
  }
  if (!eras.legacy && !eras.modern) {
    throw new RangeError("Option eras must leave at least one era on");
  }
  const cacheHints = { ...options.cacheHints };
  for (const [method, hint] of Object.entries(cacheHints)) {
    checkCacheHint(hint, `Option cacheHints["${method}"]`);
  }
  if (mode !== "auto" && mode !== "json" && mode !== "sse") {
    throw new RangeError(`Unknown responseMode: ${mode}`);
  }
  const onError = options.onError ?? ((error: unknown) => console.error("[tether]", error));
  const authenticates = options.authenticate !== undefined || options.oauth !== undefined;
  const maxConcurrentRequests = options.maxConcurrentRequests === undefined
    ? undefined
    : limit("maxConcurrentRequests", options.maxConcurrentRequests, 1);
  return {
    path: options.path === undefined ? "/mcp" : options.path,
    healthPath: options.healthPath,
    strictAccept: options.strictAccept ?? true,
    maxBodyBytes: limit("maxBodyBytes", options.maxBodyBytes, 4 * 1024 * 1024),
    bodyTimeoutMs: delay("bodyTimeoutMs", options.bodyTimeoutMs, 30_000),
    maxJsonDepth: limit("maxJsonDepth", options.maxJsonDepth, 64),
    pageSize: limit("pageSize", options.pageSize, 100),
    ...resolveSessionSettings(sessions, authenticates),
    maxUriBytes: limit("maxUriBytes", options.maxUriBytes, 8 * 1024),
    maxIdBytes: limit("maxIdBytes", options.maxIdBytes, 256),
    responseMode: mode,
    heartbeatMs: delay("heartbeatMs", options.heartbeatMs, 15_000, true),
    retryMs: wholeNumber("retryMs", options.retryMs, 1_000, true),
    maxStreamBufferBytes: limit(
      "maxStreamBufferBytes",
      options.maxStreamBufferBytes,
      1024 * 1024,
    ),
    listeningStream: options.listeningStream ?? true,
    clientRequestTimeoutMs: delay(
      "clientRequestTimeoutMs",
      options.clientRequestTimeoutMs,
      5 * 60_000,
    ),
    orphanTimeoutMs: delay("orphanTimeoutMs", options.orphanTimeoutMs, 60_000),
    eras,
    cacheHints,
    maxListenStreams: limit("maxListenStreams", options.maxListenStreams, 512),
    maxListenStreamsPerPrincipal: limit(
      "maxListenStreamsPerPrincipal",
      options.maxListenStreamsPerPrincipal,
      32,
    ),
    maxListenSubscriptionBytes: limit(
      "maxListenSubscriptionBytes",
      options.maxListenSubscriptionBytes,
      32 * 1024,
    ),
    maxRequestsPerPrincipal: limit("maxRequestsPerPrincipal", options.maxRequestsPerPrincipal, 128),
    requireHeader: requiredHeaderName(options.requireHeader),
    cors: checkCorsOptions(options.cors, options.allowedOrigins, onError),
    maxConcurrentRequests,
    maxConcurrentRequestsPerPrincipal: concurrencyShare(
      maxConcurrentRequests,
      options.maxConcurrentRequestsPerPrincipal,
    ),
    now: options.now ?? Date.now,
    scheduler: options.scheduler,
    onError,
    jsonSchemaValidator: optionalFunction(
      "jsonSchemaValidator",
      options.jsonSchemaValidator,
      cfworkerValidator,
    ),
  };
}
