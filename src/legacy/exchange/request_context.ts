/**
 * The {@linkcode RequestContext} of one request of a sessionful POST: what a
 * handler sees of its session and its client (protocol version,
 * capabilities, principal, abort signal, `ctx.session` state), and its ways
 * to reach them: notifications and server→client requests (sent on the
 * POST's answer, after checking the client declared the capability),
 * `closeStream`, the logging level and resource subscriptions.
 *
 * It does not decide how the POST is answered (JSON or a stream), nor open
 * the stream: the exchange it belongs to does (request_exchange.ts).
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { JsonRpcMessage, JsonRpcNotification, RequestId } from "../../jsonrpc/messages.ts";
import {
  isAnonymous,
  type OutboundRequestOptions,
  ownerKeyOf,
  type Principal,
  type RequestContext,
} from "../../protocol/context/request_context.ts";
import type { SessionState } from "../../protocol/context/session_state.ts";
import { missingCapability } from "../../protocol/context/handler_context.ts";
import type { ClientCapabilities, Implementation } from "../../protocol/types.ts";
import type { LoggingLevel } from "../../protocol/context/logging.ts";
import type { AwaitedReplies } from "../sessions/awaited_replies.ts";
import type { SessionRecord } from "../../storage/sessions/session_store.ts";
import type { InFlightHandle } from "./in_flight.ts";
import type { PendingRequests } from "./pending_requests.ts";
import type { LogicalStream } from "../streams/logical_stream.ts";

/** Session-level operations the handler provides, addressed by session id. */
export interface SessionOperations {
  /** The `ctx.session` state handle of a session. */
  state(sessionId: string): SessionState;
  /** Persists the session's logging level. */
  setLogLevel(sessionId: string, level: LoggingLevel): Promise<void>;
  /** Records a resource subscription. */
  subscribe(sessionId: string, uri: string): Promise<void>;
  /** Removes a resource subscription. */
  unsubscribe(sessionId: string, uri: string): Promise<void>;
}

/** What a request's context uses of the exchange's dependencies. */
export interface RequestContextDependencies {
  /** Server→client requests waiting for the client's reply. */
  pending: PendingRequests;
  /** How long a server→client request waits by default, ms. */
  clientRequestTimeoutMs: number;
  /** The session-level operations (`ctx.session`, logging level, subscriptions). */
  sessions: SessionOperations;
  /** Told when a server→client request got no reply in time. */
  onClientTimeout?: (method: string, sessionId: string) => void;
  /**
   * With a bus only: where the ids of server→client requests are recorded
   * while awaited, so another instance forwards only their replies.
   */
  awaited?: AwaitedReplies;
  /**
   * Set when 2025 clients are served without sessions (says so): `ctx.session`
   * is undefined, tasks are not scoped to a session, and server→client
   * requests are sent without a capability check (none was kept).
   */
  stateless?: string;
}

/** What a request's context needs from the exchange (the POST's answer) it belongs to. */
export interface ContextExchange {
  /** The session the POST belongs to. */
  readonly session: SessionRecord;
  /** Who sent the POST. */
  readonly principal: Principal;
  /** True when the POST's stream starts with a priming event (so it can close early and be resumed). */
  readonly prime: boolean;
  /** True while emitted messages can still reach the client. */
  readonly canEmit: boolean;
  /** The exchange's dependencies. */
  readonly deps: RequestContextDependencies;
  /** Sends a message on the POST's answer (a stream, opened if need be). */
  emit(message: JsonRpcMessage): Promise<void>;
  /** Opens the POST's stream (once). */
  openStream(): Promise<LogicalStream>;
}

/** For rejections handled elsewhere (a failed opening is handled by the exchange). */
function ignore(): void {}

function needsStream(): McpError {
  return new McpError(ErrorCode.RequestFailed, "Server→client requests need an SSE response");
}

/** The {@linkcode RequestContext} of one request of an exchange. */
export class LegacyRequestContext implements RequestContext {
  #exchange: ContextExchange;
  #handle: InFlightHandle;
  #state: SessionState | undefined;

  /** The context of the request registered as `handle`, in `exchange`. */
  constructor(exchange: ContextExchange, handle: InFlightHandle) {
    this.#exchange = exchange;
    this.#handle = handle;
  }

  /** The protocol version the session negotiated. */
  get protocolVersion(): string {
    return this.#exchange.session.protocolVersion;
  }

  /** The capabilities the client declared at initialize. */
  get clientCapabilities(): ClientCapabilities {
    return this.#exchange.session.clientCapabilities;
  }

  /** The client's name and version, from initialize. */
  get clientInfo(): Implementation | undefined {
    return this.#exchange.session.clientInfo;
  }

  /** Who sent the request. */
  get principal(): Principal {
    return this.#exchange.principal;
  }

  /**
   * For the anonymous principal, the session: each anonymous session owns
   * its tasks apart (an authenticated principal owns them across sessions).
   */
  get ownerScope(): string | undefined {
    if (this.#exchange.deps.stateless !== undefined) return undefined;
    return isAnonymous(this.#exchange.principal) ? this.#exchange.session.id : undefined;
  }

  /** Aborts when the request is cancelled, abandoned, its session ends or the server closes. */
  get signal(): AbortSignal {
    return this.#handle.signal;
  }

  /** The session's `ctx.session` state; undefined without sessions. */
  get session(): SessionState | undefined {
    if (this.#exchange.deps.stateless !== undefined) return undefined;
    return this.#state ??= this.#exchange.deps.sessions.state(this.#exchange.session.id);
  }

  /** The logging level the client set, if any. */
  get logLevel(): LoggingLevel | undefined {
    return this.#exchange.session.logLevel;
  }

  /** Sends a notification on the POST's answer. */
  notify(notification: JsonRpcNotification): Promise<void> {
    return this.#exchange.emit(notification);
  }

  /** Sends a server→client request on the POST's answer and waits for the reply. */
  request(
    method: string,
    params: Record<string, unknown>,
    options?: OutboundRequestOptions,
    identify?: (id: RequestId) => void,
  ): Promise<Record<string, unknown>> {
    const exchange = this.#exchange;
    // Without sessions the capabilities declared at initialize are not kept: the client answers for itself.
    const missing = exchange.deps.stateless !== undefined
      ? undefined
      : missingCapability(exchange.session.clientCapabilities, method, params);
    if (missing !== undefined) {
      return Promise.reject(
        new McpError(
          ErrorCode.RequestFailed,
          `The client did not declare the ${capabilityPath(missing)} capability`,
        ),
      );
    }
    if (!exchange.canEmit) return Promise.reject(needsStream());
    const { pending, clientRequestTimeoutMs, awaited } = exchange.deps;
    const id = pending.nextId();
    identify?.(id);
    const timeoutMs = options?.timeoutMs ?? clientRequestTimeoutMs;
    if (awaited === undefined) return this.#ask(id, method, params, timeoutMs, options?.signal);
    // Other instances may get the reply: the session's shared state says it is awaited before it is asked.
    const sessionId = exchange.session.id;
    return awaited.record(sessionId, id, timeoutMs).then(() => {
      const forget = () => awaited.forget(sessionId, id);
      if (!exchange.canEmit) return forget().then(() => Promise.reject(needsStream()));
      return this.#ask(id, method, params, timeoutMs, options?.signal).then(
        (result) => forget().then(() => result),
        (error) => forget().then(() => Promise.reject(error)),
      );
    });
  }

  /** Sends request `id` on the exchange's stream; resolves with the client's reply. */
  #ask(
    id: string,
    method: string,
    params: Record<string, unknown>,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, unknown>> {
    const exchange = this.#exchange;
    const own = this.#handle.signal;
    const reply = exchange.deps.pending.wait(
      exchange.session.id,
      id,
      ownerKeyOf(exchange.principal),
      { timeoutMs, signal: signal === undefined ? own : AbortSignal.any([own, signal]) },
    );
    const onClientTimeout = exchange.deps.onClientTimeout;
    const answered = onClientTimeout === undefined ? reply : reply.catch((error) => {
      if (
        (error as McpError).data !== undefined &&
        ((error as McpError).data as { reason?: string }).reason === "timeout"
      ) onClientTimeout(method, exchange.session.id);
      throw error;
    });
    // When the request cannot be sent (its stream failed to open) no one awaits the reply,
    // whose wait then ends with the aborted work: that rejection is not left unhandled.
    answered.catch(ignore);
    return exchange.emit({ jsonrpc: "2.0", id, method, params }).then(() => answered);
  }

  /** Closes the POST's connection once what was sent is written (primed streams only): the client resumes. */
  closeStream(): void {
    const exchange = this.#exchange;
    // Without an event id the client could not resume, so only primed streams close early.
    if (exchange.prime && exchange.canEmit) {
      exchange.openStream().then((s) => s.closeConnectionAfterSent(), ignore);
    }
  }

  /** Persists the session's logging level. */
  setLogLevel(level: LoggingLevel): Promise<void> {
    return this.#exchange.deps.sessions.setLogLevel(this.#exchange.session.id, level);
  }

  /** Records a resource subscription of the session. */
  subscribe(uri: string): Promise<void> {
    return this.#exchange.deps.sessions.subscribe(this.#exchange.session.id, uri);
  }

  /** Removes a resource subscription of the session. */
  unsubscribe(uri: string): Promise<void> {
    return this.#exchange.deps.sessions.unsubscribe(this.#exchange.session.id, uri);
  }
}

/** `elicitation.url`, `sampling.tools`, `roots`: the capability a refusal names. */
function capabilityPath(missing: Record<string, unknown>): string {
  const [kind] = Object.keys(missing);
  const [detail] = Object.keys((missing[kind] ?? {}) as Record<string, unknown>);
  return detail === undefined ? kind : `${kind}.${detail}`;
}
