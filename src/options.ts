/**
 * Every option of {@linkcode createMcpHandler}, with its default, in one place.
 * @module
 */

import type { Principal } from "./protocol/context.ts";
import type {
  AnyPromptDefinition,
  AnyToolDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
} from "./protocol/definitions.ts";
import type { SessionStore } from "./session/session_store.ts";
import type { EventLog } from "./streams/event_log.ts";

/** Session lifetime, cap and storage. */
export interface SessionOptions {
  /** Where sessions live. Default: a new {@linkcode MemorySessionStore}. */
  store?: SessionStore;
  /** A session unused this long expires. Default 30 minutes. */
  idleTtlMs?: number;
  /** A session expires this long after creation, used or not. Default 4 hours. */
  absoluteTtlMs?: number;
  /** At most this many live sessions; `initialize` beyond it gets 503. Default 10,000. */
  maxSessions?: number;
  /** How often the single sweep timer removes expired sessions. Default 60 s. */
  sweepIntervalMs?: number;
  /** Bytes of JSON one session's `ctx.session` state may hold. Default 64 KiB. */
  maxStateBytes?: number;
  /** Resource subscriptions one session may hold. Default 1,000. */
  maxSubscriptions?: number;
  /** `Retry-After` seconds sent with the 503 of a full server. Default 30. */
  retryAfterSeconds?: number;
}

/** How a POST that carries requests is answered. */
export type ResponseMode = "auto" | "json" | "sse";

/** Options of {@linkcode createMcpHandler}. */
export interface McpHandlerOptions {
  /** Server name, sent as `serverInfo.name`. */
  name: string;
  /** Server version, sent as `serverInfo.version`. */
  version: string;
  /** Human-friendly server title. */
  title?: string;
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

  /** The endpoint path. Default `/mcp`; `null` serves every path (for mounting under a router). */
  path?: string | null;
  /** A path answering `200 {"status":"ok"}` to GET, before any other check (no auth). Off by default. */
  healthPath?: string;
  /** Accepted `Host` names (`name` or `name:port`; `"*"` for any). Default: localhost, 127.0.0.1, [::1], any port. */
  allowedHosts?: readonly string[];
  /** Accepted `Origin`s besides the server's own host (`"*"` for any). Default: none. */
  allowedOrigins?: readonly string[];
  /** Require `Accept` to list both JSON and SSE on POST (406 otherwise). Default true. */
  strictAccept?: boolean;
  /** Largest POST body, bytes (413 beyond). Default 4 MiB. */
  maxBodyBytes?: number;
  /** Deepest JSON nesting accepted (400 beyond). Default 64. */
  maxJsonDepth?: number;
  /** Items per page of the list methods. Default 100. */
  pageSize?: number;

  /**
   * Identifies the caller. Return a principal, or undefined for an anonymous
   * caller; throw {@linkcode AuthenticationError} (or any error with a
   * `response`) to refuse with that response (typically 401 + WWW-Authenticate).
   */
  authenticate?: (request: Request) => Principal | undefined | Promise<Principal | undefined>;
  /** Session lifetime, cap and store. */
  sessions?: SessionOptions;

  /** `auto` (default): JSON unless the handler emits before its result, then SSE. `json` or `sse` force one. */
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
  /** How long `ctx.elicit`/`sample`/`listRoots` wait for the client by default, ms. Default 5 minutes. */
  clientRequestTimeoutMs?: number;

  /** The clock, ms since the epoch. Default `Date.now`. Inject for tests. */
  now?: () => number;
  /** Mints session ids. Default: 192 random bits, base64url. Must return visible ASCII. */
  generateSessionId?: () => string;
  /** Told about unexpected errors (bugs in handlers, store failures). Default: `console.error`. */
  onError?: (error: unknown) => void;
}

/** The options with every default applied. */
export interface ResolvedOptions {
  path: string | null;
  healthPath: string | undefined;
  strictAccept: boolean;
  maxBodyBytes: number;
  maxJsonDepth: number;
  pageSize: number;
  idleTtlMs: number;
  absoluteTtlMs: number;
  maxSessions: number;
  sweepIntervalMs: number;
  maxStateBytes: number;
  maxSubscriptions: number;
  retryAfterSeconds: number;
  responseMode: ResponseMode;
  heartbeatMs: number;
  retryMs: number;
  maxStreamBufferBytes: number;
  listeningStream: boolean;
  clientRequestTimeoutMs: number;
  now: () => number;
  onError: (error: unknown) => void;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`Option ${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${value}`);
  }
  return value;
}

/** Applies defaults and checks ranges; throws a RangeError naming a bad option. */
export function resolveOptions(options: McpHandlerOptions): ResolvedOptions {
  if (typeof options.name !== "string" || options.name === "") throw new TypeError("Option name is required");
  if (typeof options.version !== "string" || options.version === "") throw new TypeError("Option version is required");
  const sessions = options.sessions ?? {};
  const mode = options.responseMode ?? "auto";
  if (mode !== "auto" && mode !== "json" && mode !== "sse") throw new RangeError(`Unknown responseMode: ${mode}`);
  return {
    path: options.path === undefined ? "/mcp" : options.path,
    healthPath: options.healthPath,
    strictAccept: options.strictAccept ?? true,
    maxBodyBytes: positive("maxBodyBytes", options.maxBodyBytes, 4 * 1024 * 1024),
    maxJsonDepth: positive("maxJsonDepth", options.maxJsonDepth, 64),
    pageSize: positive("pageSize", options.pageSize, 100),
    idleTtlMs: positive("sessions.idleTtlMs", sessions.idleTtlMs, 30 * 60_000),
    absoluteTtlMs: positive("sessions.absoluteTtlMs", sessions.absoluteTtlMs, 4 * 60 * 60_000),
    maxSessions: positive("sessions.maxSessions", sessions.maxSessions, 10_000),
    sweepIntervalMs: positive("sessions.sweepIntervalMs", sessions.sweepIntervalMs, 60_000),
    maxStateBytes: positive("sessions.maxStateBytes", sessions.maxStateBytes, 64 * 1024),
    maxSubscriptions: positive("sessions.maxSubscriptions", sessions.maxSubscriptions, 1_000),
    retryAfterSeconds: positive("sessions.retryAfterSeconds", sessions.retryAfterSeconds, 30),
    responseMode: mode,
    heartbeatMs: positive("heartbeatMs", options.heartbeatMs, 15_000, true),
    retryMs: positive("retryMs", options.retryMs, 1_000, true),
    maxStreamBufferBytes: positive("maxStreamBufferBytes", options.maxStreamBufferBytes, 1024 * 1024),
    listeningStream: options.listeningStream ?? true,
    clientRequestTimeoutMs: positive("clientRequestTimeoutMs", options.clientRequestTimeoutMs, 5 * 60_000),
    now: options.now ?? Date.now,
    onError: options.onError ?? ((error) => console.error("[tether]", error)),
  };
}
