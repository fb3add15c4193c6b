/**
 * A refusal is a value: a pipeline step that turns a request away returns
 * one (HTTP status, JSON-RPC code, fixed message, the request id when it is
 * known) instead of building a Response, and {@linkcode renderRefusal} turns
 * it into the response in one place.
 * @module
 */

import { ErrorCode } from "../jsonrpc/error_codes.ts";
import type { RequestId } from "../jsonrpc/messages.ts";
import { httpError } from "./error_response.ts";

/**
 * Every refusal step, by the room that reports it; {@linkcode RefusalStep}
 * is derived from it. The door's row is the names its table of steps
 * reports (src/entry/steps.ts derives those from the table and fails to
 * type-check when the two differ), so a new refusing step cannot be left
 * out of `onEvent` and `stats().refusalsByStep`.
 *
 * @example
 * ```ts
 * import { REFUSAL_STEPS } from "@tether/mcp/types";
 * REFUSAL_STEPS.sessions; // ["session", "session-cap"]
 * ```
 */
export const REFUSAL_STEPS = {
  /**
   * The door's steps in their order: `path`, `host-origin`, `closing`,
   * `require-header`, `rate-limit`, the shared `bus` (503),
   * `concurrency-limit`, `method`, `accept`, `content-type`, `body`, `json`,
   * `jsonrpc`, `era`, the 2025 `protocol-version`, `authenticate`, a caller
   * at its share of a pool (`principal-share`: 429), a token without the
   * scopes a tool, prompt or resource declares (`scope`: 403), a caller
   * past its `rateLimits` budget (`principal-rate-limit`, `tool-rate-limit`:
   * 429, or 503 when the store fails), a DPoP caller holding its share of
   * the replay cache (`dpop-share`: 429).
   */
  door: [
    "path",
    "host-origin",
    "closing",
    "require-header",
    "rate-limit",
    "bus",
    "concurrency-limit",
    "method",
    "accept",
    "content-type",
    "body",
    "json",
    "jsonrpc",
    "era",
    "protocol-version",
    "authenticate",
    "principal-share",
    "scope",
    "principal-rate-limit",
    "tool-rate-limit",
    "dpop-share",
  ],
  /** The sessionful era past the door: an unknown or ended `session`, a full pool (`session-cap`). */
  sessions: ["session", "session-cap"],
  /** The 2026-07-28 era's own checks. */
  modern: ["modern"],
  /** The request path: a store that cannot be reached (`storage`: 503), a refusal naming no step (`other`). */
  route: ["storage", "other"],
} as const;

/**
 * The step of the pipeline that turned a request away, as `onEvent` reports
 * it: a name of {@linkcode REFUSAL_STEPS}, derived from that table.
 *
 * @example
 * ```ts
 * import type { RefusalStep } from "@tether/mcp";
 * const operatorGuards: RefusalStep[] = ["require-header", "rate-limit", "concurrency-limit"];
 * ```
 */
export type RefusalStep = (typeof REFUSAL_STEPS)[keyof typeof REFUSAL_STEPS][number];

/** Why a request is turned away, and how to say so. */
export interface Refusal {
  /** The HTTP status. */
  readonly status: number;
  /** The JSON-RPC error code. */
  readonly code: number;
  /** A fixed message; never raw input. */
  readonly message: string;
  /** The request's id when the body had a valid one. */
  readonly id?: RequestId | null;
  /** Structured detail for `error.data`. */
  readonly data?: unknown;
  /** Extra headers (Allow, Retry-After, ...). */
  readonly headers?: Record<string, string>;
  /** The step that refused (reported by `onEvent`, never sent). */
  readonly step?: RefusalStep;
}

/**
 * Builds a refusal; `code` defaults to `-32600`.
 *
 * @example
 * ```ts
 * import { refuse, renderRefusal } from "./refusal.ts";
 * const response = renderRefusal(refuse(404, "Method not found", { code: -32601, id: 7 }));
 * response.status; // 404
 * ```
 */
export function refuse(
  status: number,
  message: string,
  extra: Partial<Omit<Refusal, "status" | "message">> = {},
): Refusal {
  return { code: ErrorCode.InvalidRequest, ...extra, status, message };
}

/** The 503 when the bus between instances cannot be reached (subscribing or publishing). */
export function busUnavailable(): Refusal {
  return refuse(503, "Service Unavailable: the message bus is unreachable", {
    code: ErrorCode.InternalError,
    headers: { "retry-after": "1" },
    step: "bus",
  });
}

/** `refusal`, naming `step` unless it names one already (for refusals built by shared helpers). */
export function atStep(refusal: Refusal, step: RefusalStep): Refusal {
  return refusal.step === undefined ? { ...refusal, step } : refusal;
}

/** True for a refusal value. */
export function isRefusal(value: unknown): value is Refusal {
  return typeof value === "object" && value !== null &&
    typeof (value as Refusal).status === "number" &&
    typeof (value as Refusal).message === "string" && !(value instanceof Response);
}

/** The HTTP response that says `refusal`. */
export function renderRefusal(refusal: Refusal): Response {
  return httpError(refusal.status, refusal.message, {
    code: refusal.code,
    id: refusal.id ?? null,
    data: refusal.data,
    headers: refusal.headers,
  });
}
