/**
 * Structured events for logs and metrics: one `onEvent` listener receives
 * what happened (sessions created and ended, requests served, refusals,
 * dropped streams, client-request timeouts), so users plug in their logger
 * or OpenTelemetry without patching. Nothing is built when no listener is
 * set, and a throwing listener never breaks a request (its error goes to
 * `onError`). The counters behind `stats()` are kept either way.
 * @module
 */

/**
 * Why a session ended. Expiry by the idle or the absolute deadline are both `"expired"`.
 *
 * @example
 * ```ts
 * import type { SessionEndReason } from "@tether/mcp";
 * const reasons: SessionEndReason[] = ["delete", "expired", "close"];
 * ```
 */
export type SessionEndReason = "delete" | "expired" | "close";

/**
 * One event; `type` tells which.
 *
 * @example
 * ```ts
 * import type { McpEvent } from "@tether/mcp";
 * function describe(event: McpEvent): string {
 *   return event.type === "request" ? `${event.method} ${event.status} in ${event.durationMs} ms` : event.type;
 * }
 * ```
 */
export type McpEvent =
  | { type: "session-created"; sessionId: string; protocolVersion: string }
  | { type: "session-ended"; sessionId: string; reason: SessionEndReason }
  | {
    type: "request";
    /** The JSON-RPC method (the first of a batch), or the HTTP method for GET and DELETE. */
    method: string;
    era: "legacy" | "modern";
    /** The HTTP status of the answer (200 for a stream, whatever follows). */
    status: number;
    /** Time to the answer's headers, ms. */
    durationMs: number;
  }
  | { type: "refusal"; status: number; code: number; message: string }
  | { type: "stream-dropped"; reason: "client-gone" | "overflow" }
  | { type: "client-request-timeout"; method: string };

/**
 * Receives every {@linkcode McpEvent}.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type McpEventListener } from "@tether/mcp";
 * const log: McpEventListener = (event) => console.log(JSON.stringify(event));
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], onEvent: log });
 * ```
 */
export type McpEventListener = (event: McpEvent) => void;

/** Counters kept for `stats()`, whether or not a listener is set. */
export interface EventCounters {
  sessionsCreated: number;
  sessionsEnded: Record<SessionEndReason, number>;
  refusals: number;
  streamsDropped: number;
  clientRequestTimeouts: number;
}

/** Emits events to the listener (if any) and keeps the counters. */
export class Events {
  /** The counters behind `stats()`. */
  readonly counters: EventCounters = {
    sessionsCreated: 0,
    sessionsEnded: { delete: 0, expired: 0, close: 0 },
    refusals: 0,
    streamsDropped: 0,
    clientRequestTimeouts: 0,
  };
  /** The listener, or undefined: callers check it before building an event. */
  readonly listener: McpEventListener | undefined;
  #onError: (error: unknown) => void;

  /** Events for `listener` (may be undefined); a throwing listener is reported to `onError`. */
  constructor(listener: McpEventListener | undefined, onError: (error: unknown) => void) {
    this.listener = listener;
    this.#onError = onError;
  }

  /** Sends `event` to the listener; never throws. */
  emit(event: McpEvent): void {
    try {
      this.listener?.(event);
    } catch (error) {
      this.#onError(error);
    }
  }

  /** A session was created. */
  sessionCreated(sessionId: string, protocolVersion: string): void {
    this.counters.sessionsCreated++;
    if (this.listener !== undefined) {
      this.emit({ type: "session-created", sessionId, protocolVersion });
    }
  }

  /** A session ended. */
  sessionEnded(sessionId: string, reason: SessionEndReason): void {
    this.counters.sessionsEnded[reason]++;
    if (this.listener !== undefined) this.emit({ type: "session-ended", sessionId, reason });
  }

  /** A request was refused. */
  refused(status: number, code: number, message: string): void {
    this.counters.refusals++;
    if (this.listener !== undefined) this.emit({ type: "refusal", status, code, message });
  }

  /** An SSE connection was dropped. */
  streamDropped(reason: "client-gone" | "overflow"): void {
    this.counters.streamsDropped++;
    if (this.listener !== undefined) this.emit({ type: "stream-dropped", reason });
  }

  /** A server→client request got no reply in time. */
  clientRequestTimedOut(method: string): void {
    this.counters.clientRequestTimeouts++;
    if (this.listener !== undefined) this.emit({ type: "client-request-timeout", method });
  }
}
