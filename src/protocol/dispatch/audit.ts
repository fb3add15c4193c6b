/**
 * The audit vocabulary: the record kept for every `tools/call`,
 * `prompts/get` and `resources/read` (who, which entry, which arguments,
 * what happened), the seam the dispatcher reports finished calls through
 * ({@linkcode AuditSink}), and the marker a gateway puts on the definitions
 * it serves for an upstream. Building, bounding and delivering records is
 * src/observe/audit/auditor.ts's job, not this module's.
 * @module
 */

import type { JsonRpcRequest, JsonRpcResponse } from "../../jsonrpc/messages.ts";
import type { RequestContext } from "../context/request_context.ts";

/**
 * How an audited call ended:
 * - `ok`: answered with a result;
 * - `tool-error`: a tool's result with `isError: true`;
 * - `error`: answered with a JSON-RPC error (unknown entry, invalid
 *   arguments, a handler's failure, an upstream's error);
 * - `refused`: turned away before it ran (a scope the caller lacks: 403);
 * - `cancelled`: cancelled or abandoned before its answer was sent;
 * - `task`: a task was created for it (its record is emitted then, with `taskId`);
 * - `input-required`: a 2026-07-28 round answered `input_required` (the retry has its own record).
 *
 * @example
 * ```ts
 * import type { AuditOutcome } from "@tether/mcp/types";
 * const failed = (outcome: AuditOutcome) => outcome === "error" || outcome === "tool-error";
 * ```
 */
export type AuditOutcome =
  | "ok"
  | "tool-error"
  | "error"
  | "refused"
  | "cancelled"
  | "task"
  | "input-required";

/** The methods that get an audit record. */
export type AuditedMethod = "tools/call" | "prompts/get" | "resources/read";

/**
 * One audit record (an `onEvent` event of type `"audit"`, and an
 * OpenTelemetry log record when a logger provider is registered). Every
 * string is on one line (control characters, U+2028 and U+2029 written as
 * JSON escapes such as `\n`) and bounded: 256 UTF-8 bytes (`entry`, `upstream`, the principal's
 * `subject` and `issuer`, `sessionId`, `requestId`, `error.message`,
 * `taskId`), recorded `arguments` 4 KiB. It never holds a token, a header
 * value or a principal's other claims.
 *
 * @example
 * ```ts
 * import type { AuditRecord } from "@tether/mcp";
 * const line = (record: AuditRecord) =>
 *   `${record.principal.subject} ${record.method} ${record.entry}: ${record.outcome}`;
 * ```
 */
export interface AuditRecord {
  /** Always `"audit"`: the record's kind among `onEvent`'s events. */
  type: "audit";
  /** When the call was answered (or refused), ISO 8601. */
  time: string;
  /** `tools/call`, `prompts/get` or `resources/read`. */
  method: AuditedMethod;
  /** The tool or prompt name, or the resource URI, the client named ("" when it named none). */
  entry: string;
  /** The gateway upstream that serves `entry`; absent for the server's own definitions. */
  upstream?: string;
  /** Who called: the principal's `id` and `issuer` (no other claim); `anonymous` without credentials. */
  principal: { subject: string; issuer?: string; anonymous?: true };
  /**
   * The downstream session (2025 revisions with sessions); `null` where the
   * request has none: 2026-07-28 (no sessions), or 2025 served without sessions.
   * A refused call carries the `Mcp-Session-Id` it presented (it was refused
   * before the session was looked up).
   */
  sessionId: string | null;
  /** The protocol version the call was made in ("" when unknown, e.g. a refusal without the header). */
  protocolVersion: string;
  /** The JSON-RPC id, as a string. */
  requestId: string;
  /**
   * `hmac-sha256:` and the hex HMAC-SHA-256, under `observe.audit.digestKey`,
   * of the arguments' canonical JSON (object keys sorted, no whitespace), so
   * equal arguments give equal digests under one key; absent without a key,
   * for `resources/read` (the URI is the `entry`) and when
   * `observe.audit.redact` records `arguments` instead.
   */
  argumentsDigest?: string;
  /** The arguments as `observe.audit.redact` returned them, canonical JSON, cut to 4 KiB. */
  arguments?: string;
  /** True when `arguments` was cut. */
  argumentsTruncated?: true;
  /** How the call ended (`ok`, `tool-error`, `error`, `refused`, `cancelled`, `task`, `input-required`). */
  outcome: AuditOutcome;
  /** The JSON-RPC error of an `error` outcome (the message as the client got it, bounded). */
  error?: { code: number; message: string };
  /** The task created (outcome `task`). */
  taskId?: string;
  /** From the request's arrival at the dispatcher (or the refusal) to its answer, ms. */
  durationMs: number;
  /** The W3C trace id of the request's span, when an OpenTelemetry tracer is registered. */
  traceId?: string;
}

/** One finished call, as the dispatcher reports it. */
export interface AuditedCall {
  request: JsonRpcRequest;
  ctx: RequestContext;
  /** The gateway upstream of the definition that served it, if any. */
  upstream: string | undefined;
  /** `performance.now()` when the dispatcher took it. */
  started: number;
  /** Its answer (the outcome is `cancelled` when `ctx.signal` aborted first). */
  response: JsonRpcResponse;
}

/**
 * Where the dispatcher reports audited calls. `active()` is asked once per
 * audited call: false (no listener, no logger provider) and nothing is built.
 *
 * @example
 * ```ts
 * import type { AuditSink } from "./audit.ts";
 * const count = { calls: 0 };
 * const sink: AuditSink = { active: () => true, finished: () => void count.calls++ };
 * ```
 */
export interface AuditSink {
  active(): boolean;
  finished(call: AuditedCall): void;
}

/** The methods audited, for one lookup per request. */
export const AUDITED_METHODS: ReadonlySet<string> = new Set<AuditedMethod>([
  "tools/call",
  "prompts/get",
  "resources/read",
]);

/**
 * The property a definition served for a gateway upstream carries: the
 * upstream's name (a symbol, so it is never listed to clients).
 *
 * @example
 * ```ts
 * import { UPSTREAM_OF } from "./audit.ts";
 * const tool = { name: "github_search", [UPSTREAM_OF]: "github" };
 * ```
 */
export const UPSTREAM_OF: unique symbol = Symbol.for("@tether/mcp.upstream");

/**
 * The upstream a definition was marked with, if any.
 *
 * @example
 * ```ts
 * import { UPSTREAM_OF, upstreamOf } from "./audit.ts";
 * upstreamOf({ [UPSTREAM_OF]: "github" }); // "github"
 * ```
 */
export function upstreamOf(definition: object | undefined): string | undefined {
  const upstream = (definition as { [UPSTREAM_OF]?: unknown } | undefined)?.[UPSTREAM_OF];
  return typeof upstream === "string" ? upstream : undefined;
}

/** What a redaction policy is told of the call whose arguments it redacts. */
export interface AuditedEntry {
  /** `tools/call`, `prompts/get` or `resources/read`. */
  method: AuditedMethod;
  /** The tool or prompt name (as the client sent it). */
  entry: string;
  /** The gateway upstream serving it, if any. */
  upstream?: string;
}

/**
 * The `observe.audit.redact` policy: given a call's arguments, what to
 * record of them instead of their digest (recorded as canonical JSON, cut
 * to 4 KiB). It must not throw; if it does, the record keeps the digest and
 * the error goes to `onError`.
 *
 * @example
 * ```ts
 * import type { AuditRedaction } from "@tether/mcp/types";
 * const keepQuery: AuditRedaction = (args, call) =>
 *   call.entry === "search" ? { query: args.query } : {};
 * ```
 */
export type AuditRedaction = (
  args: Readonly<Record<string, unknown>>,
  call: AuditedEntry,
) => unknown;
