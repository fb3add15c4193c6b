/**
 * The public options of {@linkcode createMcpHandler}: the server's identity
 * and definitions at the top, everything else in groups (`http`, `security`,
 * `auth`, `limits`, `sessions`, `streams`, `stateless`, `bus`, `observe`).
 * Types only: the values live in defaults.ts, resolution in resolve.ts, and
 * docs/options.md is generated from these comments.
 * @module
 */

import type { StorageBackend } from "../storage/backend/storage_backend.ts";
import type { MessageBus } from "../bus/message_bus.ts";
import type { Scheduler } from "../runtime.ts";
import type { EraOptions } from "../protocol/eras.ts";
import type { Icon } from "../protocol/types.ts";
import type { Extension } from "../protocol/definitions/extensions.ts";
import type {
  AnyPromptDefinition,
  AnyToolDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
} from "../protocol/definitions/definitions.ts";
import type { JsonSchemaValidator } from "../protocol/schema/json_schema_validator.ts";
import type { ViewOf } from "../protocol/definitions/views.ts";
import type { SessionOptions } from "./session_options.ts";
import type {
  AuthOptions,
  HttpOptions,
  LimitOptions,
  ObserveOptions,
  SecurityOptions,
} from "./group_options.ts";
import type { StatelessOptions, StreamOptions } from "./delivery_options.ts";

export type { ResponseMode } from "../http/response_mode.ts";
export type { SessionOptions } from "./session_options.ts";
export type {
  AuditOptions,
  AuthOptions,
  HttpOptions,
  LimitOptions,
  ObserveOptions,
  SecurityOptions,
} from "./group_options.ts";
export type { StatelessOptions, StreamOptions } from "./delivery_options.ts";

/**
 * Options of {@linkcode createMcpHandler}: identity and definitions at the
 * top, the rest in groups. Every field is optional but `name` and
 * `version`; docs/options.md lists every field with its default.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type McpHandlerOptions } from "@tether/mcp";
 * const options: McpHandlerOptions = {
 *   name: "app",
 *   version: "1.0.0",
 *   tools: [],
 *   security: { allowedHosts: ["mcp.example.com"] },
 *   limits: { maxConcurrentRequests: 1_000 },
 * };
 * const handler = createMcpHandler(options);
 * ```
 */
export interface McpHandlerOptions {
  /**
   * Server name, sent as `serverInfo.name`. Required.
   * @default {none}
   */
  name: string;
  /**
   * Server version, sent as `serverInfo.version`. Required.
   * @default {none}
   */
  version: string;
  /**
   * Human-friendly server title.
   * @default {none}
   */
  title?: string;
  /**
   * Icons for the server, sent in `serverInfo` (2025-11-25 and later; older
   * clients ignore them). Each `src` is an `https:`/`http:` URL or a `data:`
   * URI, checked at startup.
   * @default {none}
   */
  icons?: readonly Icon[];
  /**
   * The server's website, sent as `serverInfo.websiteUrl` (an `https:` or `http:` URL).
   * @default {none}
   */
  websiteUrl?: string;
  /**
   * Guidance for the model, sent in the InitializeResult.
   * @default {none}
   */
  instructions?: string;
  /**
   * Tools. Giving the option (even `[]`) advertises the tools capability.
   * @default {none (the tools capability is not advertised)}
   */
  tools?: readonly AnyToolDefinition[];
  /**
   * Fixed resources.
   * @default {none}
   */
  resources?: readonly ResourceDefinition[];
  /**
   * Resource templates.
   * @default {none}
   */
  resourceTemplates?: readonly ResourceTemplateDefinition[];
  /**
   * Prompts.
   * @default {none}
   */
  prompts?: readonly AnyPromptDefinition[];
  /**
   * What each principal sees of the tools, prompts, resources and
   * templates, and under which names: asked for each request that lists or
   * uses an entry. A hidden entry does not exist for the caller; a denied
   * one is refused (-32602, `data.reason: "denied"`); neither is listed.
   * `@tether/mcp/gateway` builds one from plain objects (`definitions({ view })`).
   * With a view, no `stateless.cacheHints` entry may be `public`.
   * @default {none (every caller sees every entry as defined)}
   */
  view?: ViewOf;
  /**
   * Compiles each tool's raw JSON Schema (input and output, draft 2020-12)
   * into a check, once at startup; it throws for a schema it cannot enforce
   * in full, and the server refuses to start. Standard Schemas (zod,
   * Valibot, ArkType) are validated by their own library instead.
   * @default {`@cfworker/json-schema`, refusing `$dynamicRef`, `$dynamicAnchor`, `$vocabulary`, unknown `format`s and `$ref`s that do not resolve within the schema}
   */
  jsonSchemaValidator?: JsonSchemaValidator;
  /**
   * Extensions (`tasksExtension()`, your own): each is advertised under
   * `capabilities.extensions` and adds its methods, notifications and
   * `tools/call` step.
   * @default {none}
   */
  extensions?: readonly Extension[];
  /**
   * Which protocol eras to serve. Legacy-only answers modern requests
   * (`server/discover`) with `404` + `-32601`, so dual-era clients fall back
   * to `initialize`; modern-only answers `initialize` with `400` + `-32022`
   * and GET/DELETE with `405`. `{ legacy: "stateless" }` serves 2025 clients
   * without sessions (serverless hosts without a shared store).
   * @default {both eras (`legacy: true`, `modern: true`)}
   */
  eras?: EraOptions;

  /** The endpoint, the health path and the shape and size of a request. */
  http?: HttpOptions;
  /** Who may reach the endpoint from where: Host and Origin rules, CORS, a required header. */
  security?: SecurityOptions;
  /** Who the caller is: your own `authenticate`, or OAuth 2.1 (`oauth`); one of them. */
  auth?: AuthOptions;
  /** Load limits of both eras: concurrency, rate limits, page size, URI length. */
  limits?: LimitOptions;
  /** The sessionful (2025) era's sessions: lifetime, cap, shares, store, ids. */
  sessions?: SessionOptions;
  /** How answers travel: JSON or SSE, heartbeats, resumption, waits on the client. */
  streams?: StreamOptions;
  /** The stateless 2026-07-28 era: `requestState`, cache hints, listen streams, requests per principal. */
  stateless?: StatelessOptions;
  /**
   * How several instances of one server reach each other's work:
   * cancellations, client replies, session ends, notifications, listening
   * takeover. `createRedisBackend` in `@tether/mcp/redis` gives one;
   * `MemoryBus` peers connect handlers in one process.
   * @default {none (one process)}
   */
  bus?: MessageBus;
  /**
   * Every storage seam on one store: `createRedisBackend(…)` or
   * `createPostgresBackend(…)`. It fills `sessions.store`,
   * `streams.eventLog`, `bus`, `limits.rateLimits.store` (with rate limits
   * on) and `auth.oauth.dpop.replayStore` (with DPoP on), each unless that
   * option is given itself; the task store stays `tasksExtension({ store })`.
   * Close it after the handler.
   * @default {none (each seam's own option, else in memory)}
   */
  storage?: StorageBackend;
  /** What the handler tells you: events and unexpected errors. */
  observe?: ObserveOptions;
  /**
   * The clock, ms since the epoch (sessions, rate limits, listening
   * notifications). Inject for tests.
   * @default {`Date.now`}
   */
  now?: () => number;
  /**
   * For tests: the clock and timers of `close()`'s grace and wait for aborted
   * work, a session resource's disposal bound, the orphan deadline
   * (`streams.orphanTimeoutMs`), the retried end of a stream the event log
   * failed under, a follower's lease and its retries while the log fails,
   * a stream's flush window (the event log's `flushWindowMs`), the bus's
   * release of a session held elsewhere, auto mode's switch to a stream
   * (200 ms) and the request body's deadline (`http.bodyTimeoutMs`), so a
   * test advances them instead of waiting.
   * @default {the runtime's (`performance.now`, `setTimeout`)}
   */
  scheduler?: Scheduler;
}
