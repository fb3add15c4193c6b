/**
 * The option groups of the request's way in: `http` (endpoint, request
 * shape and size), `security` (Host, Origin, CORS, a required header),
 * `auth`, `limits` (load) and `observe`. Types only; each `@default` matches
 * the table in defaults.ts (scripts/options_reference.ts checks it).
 * @module
 */

import type { McpEventListener } from "../observe/events.ts";
import type { CorsOptions } from "../http/cors.ts";
import type { RateLimiter } from "../limits/rate_limit.ts";
import type { RateLimitsOptions } from "../limits/rate_limits_options.ts";
import type { Principal } from "../protocol/context/request_context.ts";
import type { AuditRedaction } from "../protocol/dispatch/audit.ts";
import type { OAuthOptions } from "./oauth_options.ts";

/**
 * The endpoint and what a request may look like (the `http` option).
 *
 * @example
 * ```ts
 * import { createMcpHandler, type HttpOptions } from "@tether/mcp";
 * const http: HttpOptions = { path: "/", maxBodyBytes: 1024 * 1024 };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], http });
 * ```
 */
export interface HttpOptions {
  /**
   * The endpoint path; `null` serves every path (for mounting under a router).
   * @default {"/mcp"}
   */
  path?: string | null;
  /**
   * A path answering `200 {"status":"ok"}` to GET, before any other check (no auth).
   * @default {none}
   */
  healthPath?: string;
  /**
   * Require `Accept` to list both JSON and SSE on POST (406 otherwise).
   * @default {true}
   */
  strictAccept?: boolean;
  /**
   * Largest POST body, bytes (413 beyond).
   * @default {4_194_304}
   */
  maxBodyBytes?: number;
  /**
   * How long a POST body may take to arrive, ms, from when reading starts; a
   * slower or stalled body gets `408` (checked four times per period, so
   * within a quarter of it after the deadline). Deno never times out a slow
   * body, nor does Bun with `idleTimeout: 0`, so this is the bound.
   * @default {30_000}
   */
  bodyTimeoutMs?: number;
  /**
   * Deepest JSON nesting accepted (400 beyond).
   * @default {64}
   */
  maxJsonDepth?: number;
  /**
   * Longest request id or progress token, UTF-8 bytes (string ids and tokens
   * only; numbers are bounded already). A longer id is refused with `400` and
   * `-32600`, a longer progress token with `400` and `-32602`.
   * @default {256}
   */
  maxIdBytes?: number;
}

/**
 * Who may reach the endpoint from where (the `security` option).
 *
 * @example
 * ```ts
 * import { createMcpHandler, type SecurityOptions } from "@tether/mcp";
 * const security: SecurityOptions = { allowedHosts: ["mcp.example.com"], requireHeader: "x-mcp-client" };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], security });
 * ```
 */
export interface SecurityOptions {
  /**
   * Accepted `Host` names (`name` or `name:port`; `"*"` for any); the defaults accept any port.
   * @default {["localhost", "127.0.0.1", "[::1]"]}
   */
  allowedHosts?: readonly string[];
  /**
   * Accepted `Origin`s besides the server's own host (`"*"` for any).
   * @default {[]}
   */
  allowedOrigins?: readonly string[];
  /**
   * CORS for web pages on other origins: preflights are answered (`204`),
   * and every answer, errors included, grants the origin and exposes
   * `Mcp-Session-Id`, `MCP-Protocol-Version`, `WWW-Authenticate` and
   * `Retry-After`. The origins it allows pass the Origin guard; an origin
   * the guard refuses (`403`) is granted nothing. Off by default: no
   * `Access-Control-*` header is sent and OPTIONS is `405`.
   * @default {none (off)}
   */
  cors?: CorsOptions;
  /**
   * A header every request must carry (e.g. `"x-mcp-client"`), or `403`. A
   * defence in depth against cross-site requests: an HTML form cannot set
   * it, and a browser `fetch` that sets it must pass a CORS preflight first.
   * @default {none (off)}
   */
  requireHeader?: string;
}

/**
 * Who the caller is (the `auth` option): `authenticate` or `oauth`, not both.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type AuthOptions } from "@tether/mcp";
 * const auth: AuthOptions = {
 *   authenticate: (request) => request.headers.get("x-user") === "alice" ? { id: "alice" } : undefined,
 * };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], auth });
 * ```
 */
export interface AuthOptions {
  /**
   * Identifies the caller. Return a principal, or undefined for an anonymous
   * caller; throw {@linkcode AuthenticationError} (or any error with a
   * `response`) to refuse with that response (typically 401 + WWW-Authenticate).
   * @default {none (every caller is the anonymous principal)}
   */
  authenticate?: (request: Request) => Principal | undefined | Promise<Principal | undefined>;
  /**
   * Serve as an OAuth 2.1 protected resource: every MCP request needs a
   * bearer token that `oauth.verifyAccessToken` accepts (401 with
   * `WWW-Authenticate: Bearer resource_metadata="…"` otherwise), and the
   * RFC 9728 metadata is served. It authenticates, so it cannot be set
   * together with `authenticate`.
   * @default {none (off)}
   */
  oauth?: OAuthOptions;
}

/**
 * Load limits of both eras (the `limits` option); the per-era limits are in
 * `sessions` and `stateless`.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type LimitOptions } from "@tether/mcp";
 * const limits: LimitOptions = { maxConcurrentRequests: 1_000, pageSize: 50 };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], limits });
 * ```
 */
export interface LimitOptions {
  /**
   * Requests handled at once; more get `503` + `Retry-After: 1` before their
   * body is read. A POST answered on a stream counts until its handlers
   * return, even when the client hangs up first; listening streams count
   * only while being set up.
   * @default {none (no cap)}
   */
  maxConcurrentRequests?: number;
  /**
   * Places of `maxConcurrentRequests` one principal may hold; past it a
   * request of that principal is answered `429` + `Retry-After: 1` with
   * `-32004`, so one caller holding slow calls (and hanging up) cannot keep
   * everyone else at `503`. Only POSTs that carry a request count, once the
   * caller is authenticated: a reply or a cancellation always reaches its
   * work, and a body still arriving holds only its place in the pool (for
   * at most `http.bodyTimeoutMs`). Anonymous callers share one share. Per
   * process, like the pool. Applies only with `auth`: without it every
   * caller is the anonymous principal, and a share would only shrink the
   * pool. Needs `maxConcurrentRequests`. The default lets the anonymous
   * callers and one account together hold at most half of the pool, so a
   * third principal is still served.
   * @default {a quarter of maxConcurrentRequests (at least 1)}
   */
  maxConcurrentRequestsPerPrincipal?: number;
  /**
   * Consulted before authentication (so a flood of bad tokens is not a flood
   * of credential look-ups): a refusal answers `429` + `Retry-After`. Use
   * {@linkcode tokenBucket} or your own.
   * @default {none (off)}
   */
  rateLimit?: RateLimiter;
  /**
   * Budgets per principal (every request, after authentication; all
   * anonymous callers are one) and per (principal, tool) at `tools/call`,
   * both eras; past one a request gets `429` + `Retry-After` +
   * `RateLimit-Policy` / `RateLimit` with `-32004` and runs nothing. Kept
   * in `store` (per process by default; a Redis or Postgres backend's
   * `rateLimitStore`, which `storage` fills in, shares them between
   * instances); a failing store
   * answers `503` + `Retry-After: 1`.
   * @default {none (off)}
   */
  rateLimits?: RateLimitsOptions;
  /**
   * Items per page of the list methods.
   * @default {100}
   */
  pageSize?: number;
  /**
   * Longest resource URI accepted by `resources/read`, `resources/subscribe`,
   * `resources/unsubscribe` and completion references, UTF-8 bytes (longer:
   * `-32602`).
   * @default {8_192}
   */
  maxUriBytes?: number;
}

/**
 * What the handler tells you (the `observe` option).
 *
 * @example
 * ```ts
 * import { createMcpHandler, type ObserveOptions } from "@tether/mcp";
 * const observe: ObserveOptions = { onEvent: (event) => console.log(event.type), onError: console.error };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], observe });
 * ```
 */
export interface ObserveOptions {
  /**
   * Told about what happens, as structured {@linkcode McpEvent}s: sessions
   * created and ended (with the reason), requests answered (method, era,
   * status, duration), refusals (the step that refused), dropped streams,
   * client-request timeouts; for a logger or OpenTelemetry. Called on the
   * request's path, so keep it cheap. Nothing is built without it; a
   * throwing listener is reported to `onError` and breaks nothing.
   * `stats()` counts the same events either way.
   * @default {none}
   */
  onEvent?: McpEventListener;
  /**
   * The audit record of every `tools/call`, `prompts/get` and
   * `resources/read` (event type `"audit"` to `onEvent`, and an
   * OpenTelemetry log record when a logger provider is registered): what
   * it records of the arguments. Without a listener or a logger provider
   * no record is built.
   * @default {no arguments recorded: no digest without `digestKey`, no redaction}
   */
  audit?: AuditOptions;
  /**
   * Told about unexpected errors (bugs in handlers, store failures). A
   * storage failure its store reports once per outage (the Redis backend's
   * `onError`) is not told here again for each refused request.
   * @default {`console.error`, prefixed `[tether]`}
   */
  onError?: (error: unknown) => void;
}

/**
 * The audit record's options (the `observe.audit` option).
 *
 * @example
 * ```ts
 * import { type AuditOptions, createMcpHandler, redactProperties } from "@tether/mcp";
 * const audit: AuditOptions = { redact: redactProperties(["password"]) };
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   tools: [],
 *   observe: { onEvent: (event) => event.type === "audit" && console.log(event), audit },
 * });
 * ```
 */
export interface AuditOptions {
  /**
   * Records a call's arguments as this policy returns them (canonical
   * JSON, cut to 4 KiB) instead of their digest; a policy that throws
   * leaves the digest (when there is a `digestKey`) and is reported to
   * `onError`. `redactProperties([...])` hides named properties at any depth.
   * @default {none: the digest only (with a `digestKey`)}
   */
  redact?: AuditRedaction;
  /**
   * The per-deployment secret of `argumentsDigest`, an HMAC-SHA-256 of the
   * arguments' canonical JSON (`hmac-sha256:` and 64 hex digits): at least
   * 32 bytes (a string counts its UTF-8 bytes), else `createMcpHandler`
   * throws. Give every instance the same key to match records across
   * instances and restarts; without the key nobody can test a guess (a
   * PIN) against a digest. Absent: records hold no digest.
   * @default {none: no arguments digest}
   */
  digestKey?: string | Uint8Array;
}
