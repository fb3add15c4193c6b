/**
 * Structured events for logs and metrics: one `onEvent` listener receives
 * what happened (sessions created and ended, requests served, refusals,
 * dropped streams, client-request timeouts), so users plug in their logger
 * or OpenTelemetry without patching. Nothing is built when no listener is
 * set, and a throwing listener never breaks a request (its error goes to
 * `onError`). The counters behind `stats()` are kept either way.
 *
 * Not here: tracing and metrics with OpenTelemetry (telemetry/, through
 * the API), and sessions of other instances (each process reports what it sees).
 * @module
 */

import type { RefusalStep } from "../http/refusal.ts";
import type { AuditRecord } from "../protocol/dispatch/audit.ts";
import type { RequestStateRefusalReason } from "../protocol/request_state_refusal.ts";

/**
 * Why a session ended:
 * - `delete`: the client sent `DELETE`;
 * - `idle`: its idle TTL (`sessions.idleTtlMs`) passed without a request;
 * - `absolute`: its absolute TTL (`sessions.absoluteTtlMs`) passed;
 * - `close`: `close()` ended the work, streams or resources it had in this
 *   process (its record stays in a shared store);
 * - `gone`: its record left the store without this process being told why
 *   (a store that expires records itself, or another instance that deleted
 *   or swept it), so the work it had here was ended.
 *
 * There is no `cap` reason: at `sessions.maxSessions` tether refuses
 * `initialize` (a `refusal` at step `session-cap`) rather than evicting a
 * live session; expired sessions swept early because the store was full are
 * reported as `idle` or `absolute`.
 *
 * @example
 * ```ts
 * import type { SessionEndReason } from "@tether/mcp";
 * const expiry: SessionEndReason[] = ["idle", "absolute"];
 * ```
 */
export type SessionEndReason = "delete" | "idle" | "absolute" | "close" | "gone";

/** Every {@linkcode SessionEndReason}, in the order `stats().sessionsEnded` lists them. */
const SESSION_END_REASONS: readonly SessionEndReason[] = [
  "delete",
  "idle",
  "absolute",
  "close",
  "gone",
];

/**
 * One event; `type` tells which.
 *
 * @example
 * ```ts
 * import type { McpEvent } from "@tether/mcp";
 * function describe(event: McpEvent): string {
 *   switch (event.type) {
 *     case "request":
 *       return `${event.method} ${event.status} in ${event.durationMs.toFixed(1)} ms`;
 *     case "refusal":
 *       return `refused at ${event.step}: ${event.status}`;
 *     default:
 *       return event.type;
 *   }
 * }
 * ```
 */
export type McpEvent =
  | {
    /** A session was created by `initialize`. */
    type: "session-created";
    sessionId: string;
    /** The protocol version negotiated. */
    protocolVersion: string;
  }
  | {
    /** A session ended; its work, streams and resources in this process were ended. */
    type: "session-ended";
    sessionId: string;
    reason: SessionEndReason;
  }
  | {
    /** An HTTP request was answered (its response headers are ready). */
    type: "request";
    /**
     * The JSON-RPC method (`"batch"` for a 2025-03-26 batch, `"response"` for
     * posted replies), or the HTTP method for GET, DELETE and a POST refused
     * before its body was read.
     */
    method: string;
    /** The protocol era; absent when the request was refused before it was known. */
    era?: "legacy" | "modern";
    /**
     * The session: its `Mcp-Session-Id`, or the one `initialize` created.
     * Absent in 2026-07-28 (no sessions) and before a session is known.
     */
    sessionId?: string;
    /** The tool a single `tools/call` named. */
    tool?: string;
    /** The prompt a single `prompts/get` named. */
    prompt?: string;
    /** The resource URI a single `resources/read`, `resources/subscribe` or `resources/unsubscribe` named. */
    resource?: string;
    /** The HTTP status of the answer (200 for a stream, whatever follows on it). */
    status: number;
    /** Time to the answer's headers, ms. */
    durationMs: number;
  }
  | {
    /** A request was turned away with an HTTP error (the same request also gives a `request` event). */
    type: "refusal";
    /** Which guard or pipeline step refused it. */
    step: RefusalStep;
    status: number;
    /** The JSON-RPC error code in the body; absent when `authenticate` refused with a Response of your own. */
    code?: number;
    /** The error message sent (fixed text); absent when `authenticate` refused with a Response of your own. */
    message?: string;
  }
  | {
    /**
     * An SSE connection ended without the server closing it. In a session the
     * stream stays resumable; in 2026-07-28 `client-gone` is the call's cancellation.
     */
    type: "stream-dropped";
    /** `client-gone`: the client closed it; `overflow`: it stopped reading past `maxStreamBufferBytes`. */
    reason: "client-gone" | "overflow";
    era: "legacy" | "modern";
  }
  | {
    /** A server→client request (`ctx.elicit`, `ctx.sample`, `ctx.listRoots`) got no reply in time. */
    type: "client-request-timeout";
    /** `elicitation/create`, `sampling/createMessage` or `roots/list`. */
    method: string;
    /** The session the request was sent in. */
    sessionId: string;
  }
  | {
    /**
     * A 2026-07-28 request presented a `requestState` that did not open (it
     * was answered -32602). Many `bad-seal` or `unknown-key` may mean a key
     * rotated out too early, or someone forging states.
     */
    type: "request-state-refused";
    reason: RequestStateRefusalReason;
  }
  /**
   * The audit record of a `tools/call`, `prompts/get` or `resources/read`
   * (src/protocol/dispatch/audit.ts), local or upstream, answered or refused.
   */
  | AuditRecord;

/**
 * Receives every {@linkcode McpEvent}. Called synchronously on the request's
 * path: keep it cheap (hand slow work to a queue). A throw is caught and
 * reported to `onError`.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type McpEventListener } from "@tether/mcp";
 * const log: McpEventListener = (event) => console.log(JSON.stringify(event));
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], observe: { onEvent: log } });
 * ```
 */
export type McpEventListener = (event: McpEvent) => void;

/** Counters kept for `stats()`, whether or not a listener is set. */
export interface EventCounters {
  sessionsCreated: number;
  sessionsEnded: Record<SessionEndReason, number>;
  requests: number;
  refusals: number;
  refusalsByStep: Partial<Record<RefusalStep, number>>;
  streamsDropped: number;
  clientRequestTimeouts: number;
}

/** Told when sessions begin and end (the session metrics of telemetry/). */
export interface SessionObserver {
  /** A session was created in this process. */
  sessionStarted(sessionId: string, protocolVersion: string): void;
  /** A session ended. */
  sessionEnded(sessionId: string, reason: SessionEndReason): void;
}

/** Emits events to the listener (if any) and keeps the counters. */
export class Events {
  /** The counters behind `stats()`. */
  readonly counters: EventCounters = {
    sessionsCreated: 0,
    sessionsEnded: Object.fromEntries(SESSION_END_REASONS.map((reason) => [reason, 0])) as Record<
      SessionEndReason,
      number
    >,
    requests: 0,
    refusals: 0,
    refusalsByStep: {},
    streamsDropped: 0,
    clientRequestTimeouts: 0,
  };
  /** The listener, or undefined: callers check it before building an event. */
  readonly listener: McpEventListener | undefined;
  #onError: (error: unknown) => void;
  #sessions: SessionObserver | undefined;

  /**
   * Events for `listener` (may be undefined); a throwing listener is reported
   * to `onError`. `sessions` is told of every session's start and end.
   */
  constructor(
    listener: McpEventListener | undefined,
    onError: (error: unknown) => void,
    sessions?: SessionObserver,
  ) {
    this.listener = listener;
    this.#onError = onError;
    this.#sessions = sessions;
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
    this.#sessions?.sessionStarted(sessionId, protocolVersion);
    if (this.listener !== undefined) {
      this.emit({ type: "session-created", sessionId, protocolVersion });
    }
  }

  /** A session ended. */
  sessionEnded(sessionId: string, reason: SessionEndReason): void {
    this.counters.sessionsEnded[reason]++;
    this.#sessions?.sessionEnded(sessionId, reason);
    if (this.listener !== undefined) this.emit({ type: "session-ended", sessionId, reason });
  }

  /** A request was refused (`code` and `message` when tether wrote the body). */
  refused(step: RefusalStep, status: number, code?: number, message?: string): void {
    this.counters.refusals++;
    this.counters.refusalsByStep[step] = (this.counters.refusalsByStep[step] ?? 0) + 1;
    if (this.listener === undefined) return;
    this.emit(
      code === undefined
        ? { type: "refusal", step, status }
        : { type: "refusal", step, status, code, message },
    );
  }

  /** An SSE connection was dropped. */
  streamDropped(reason: "client-gone" | "overflow", era: "legacy" | "modern"): void {
    this.counters.streamsDropped++;
    if (this.listener !== undefined) this.emit({ type: "stream-dropped", reason, era });
  }

  /** A presented requestState did not open. */
  requestStateRefused(reason: RequestStateRefusalReason): void {
    if (this.listener !== undefined) this.emit({ type: "request-state-refused", reason });
  }

  /** A server→client request got no reply in time. */
  clientRequestTimedOut(method: string, sessionId: string): void {
    this.counters.clientRequestTimeouts++;
    if (this.listener !== undefined) {
      this.emit({ type: "client-request-timeout", method, sessionId });
    }
  }
}
