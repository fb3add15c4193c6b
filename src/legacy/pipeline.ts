/**
 * The sessionful pipeline (protocol revisions 2025-03-26 … 2025-11-25), for
 * POSTs the entry classified as legacy and for GET and DELETE:
 *
 *   POST: MCP-Protocol-Version → (entry: authenticate) → initialize | session → dispatch
 *   GET:  Accept → MCP-Protocol-Version → (entry: authenticate) → session → listening stream
 *   DELETE: MCP-Protocol-Version → (entry: authenticate) → session → end it
 *
 * It owns everything that lives between requests: sessions (TTLs, cap,
 * owner binding: sessions/), resumable SSE streams (streams/, logged in
 * event_log/), in-flight work and server→client requests (exchange/, which
 * answers each request). Each step answers a refusal value or goes on; the
 * entry renders refusals. Its parts are wired in pipeline_parts.ts. The
 * 2026-07-28 era never reaches this module, nor the 2025 revisions served
 * without sessions (stateless/).
 * @module
 */

import { checkGetAccept } from "../http/guards.ts";
import { drained } from "../http/drained.ts";
import { LazyInterval } from "../http/lazy_interval.ts";
import { accepted, noContent } from "../http/responses.ts";
import { type Refusal, refuse } from "../http/refusal.ts";
import type { BusMessage } from "../bus/message_bus.ts";
import type { ClassifiedMessage, JsonRpcRequest } from "../jsonrpc/messages.ts";
import type { EraAnswer, EraStats, RoutedPost, SessionfulEra } from "../era.ts";
import type { Principal } from "../protocol/context/request_context.ts";
import { batchRefusal, findInitialize, initializeInBatch } from "./exchange/post_shape.ts";
import { checkLegacyPost, checkProtocolVersion } from "./protocol_version.ts";
import type { Dispatcher } from "../protocol/dispatch/dispatcher.ts";
import type { AwaitedReplies } from "./sessions/awaited_replies.ts";
import type { SessionManager, SessionResolution } from "./sessions/session_manager.ts";
import type { SessionRecord } from "../storage/sessions/session_store.ts";
import { isPromiseLike, type MaybePromise } from "../protocol/maybe_async.ts";
import type { SessionResources } from "./sessions/session_resources.ts";
import type { LegacySettings } from "./settings.ts";
import type { InFlightRegistry } from "./exchange/in_flight.ts";
import type { PendingRequests } from "./exchange/pending_requests.ts";
import type { SlowCalls } from "../http/slow_calls.ts";
import {
  answerLegacyRequests,
  type LegacyExchangeDependencies,
} from "./exchange/request_exchange.ts";
import type { StreamHub } from "./streams/stream_hub.ts";
import type { Events } from "../observe/events.ts";
import type { Delivery } from "../bus/delivery.ts";
import {
  type ClientMessageDependencies,
  deliverClientMessages,
} from "./exchange/client_messages.ts";
import { initializeSession } from "./exchange/initialize_session.ts";
import type { SessionEnds } from "./session_ends.ts";
import { openListening } from "./exchange/listening_stream.ts";
import { type HeldSessions, receiveInSessions } from "./bus_messages.ts";
import type { Telemetry } from "../observe/telemetry/telemetry.ts";
import { type LegacyPipelineOptions, wireLegacyParts } from "./pipeline_parts.ts";

export type { LegacyPipelineOptions } from "./pipeline_parts.ts";

/** Sessions, streams and in-flight work of the sessionful revisions. */
export class LegacyPipeline implements SessionfulEra {
  /** How close()'s report names this era's work. */
  readonly label = "in sessions";
  readonly #sessions: SessionManager;
  readonly #hub: StreamHub;
  readonly #inFlight: InFlightRegistry;
  readonly #pending: PendingRequests;
  /** Per-session resources of this process (`ctx.session.resource`), disposed on every path that ends a session. */
  readonly #resources: SessionResources;
  readonly #settings: LegacySettings;
  readonly #dispatcher: Dispatcher;
  readonly #exchange: LegacyExchangeDependencies;
  readonly #clientMessages: ClientMessageDependencies;
  readonly #events: Events;
  readonly #delivery: Pick<Delivery, "deliver" | "tellOthers" | "shared">;
  /** With a bus: the server→client requests some instance awaits, in the sessions' shared state. */
  readonly #awaited: AwaitedReplies | undefined;
  readonly #slowCalls: SlowCalls;
  readonly #ends: SessionEnds;
  /** What bus messages act on (bus_messages.ts). */
  readonly #held: HeldSessions;
  readonly #telemetry: Telemetry;
  /**
   * The sweep of expired sessions, every `sweepIntervalMs`: started by the
   * door's first request (construction sets no timer: Workers forbid one at
   * module scope), stopped by `close()`.
   */
  readonly timer: LazyInterval;
  /** The sessions held when close() began (their listening streams and finished work end before it ends them). */
  #heldAtClose: Set<string> = new Set();

  /** Wires sessions, the stream hub and the exchange together. */
  constructor(options: LegacyPipelineOptions) {
    this.#settings = options.settings;
    this.#dispatcher = options.dispatcher;
    this.#events = options.events;
    this.#delivery = options.delivery;
    this.#telemetry = options.telemetry;
    const parts = wireLegacyParts(options, () => this.sweep());
    const { observe, sessions } = options.settings;
    this.timer = new LazyInterval(
      () => void this.sweep().catch(observe.onError),
      sessions.sweepIntervalMs,
    );
    this.#sessions = parts.sessions;
    this.#hub = parts.hub;
    this.#inFlight = parts.inFlight;
    this.#pending = parts.pending;
    this.#resources = parts.resources;
    this.#awaited = parts.awaited;
    this.#slowCalls = parts.slowCalls;
    this.#ends = parts.ends;
    this.#held = parts.held;
    this.#clientMessages = parts.clientMessages;
    this.#exchange = parts.exchange;
  }

  /** A legacy POST's checks before the entry authenticates it: its MCP-Protocol-Version header. */
  readonly checkPost = checkLegacyPost;

  /**
   * A POST classified as legacy, past {@linkcode checkPost}: its messages (`headers` read once),
   * already checked as JSON-RPC, and its caller. Not an async function: a
   * POST of requests in a session the store resolves at once goes straight to
   * its exchange, and a synchronous tool's answer comes back in the same turn.
   */
  serve(post: RoutedPost): MaybePromise<EraAnswer> {
    const { request, headers, messages, isBatch, principal } = post;
    const initialize = findInitialize(messages);
    if (initialize !== undefined) {
      if (isBatch) return initializeInBatch();
      return initializeSession(
        {
          dispatcher: this.#dispatcher,
          sessions: this.#sessions,
          events: this.#events,
          telemetry: this.#telemetry,
        },
        initialize.message as JsonRpcRequest,
        principal,
        request,
      );
    }
    const resolved = this.#sessions.resolve(request, principal, headers);
    return isPromiseLike(resolved)
      ? this.#postResolving(resolved, request, messages, isBatch, principal)
      : this.#postIn(resolved, request, messages, isBatch, principal);
  }

  /** {@linkcode serve} once a store that answers with a promise has resolved the session. */
  async #postResolving(
    resolving: PromiseLike<SessionResolution>,
    request: Request,
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
    principal: Principal,
  ): Promise<EraAnswer> {
    return await this.#postIn(await resolving, request, messages, isBatch, principal);
  }

  /** {@linkcode serve} in its resolved session: requests alone are answered now, anything else is delivered first. */
  #postIn(
    resolved: SessionResolution,
    request: Request,
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
    principal: Principal,
  ): MaybePromise<EraAnswer> {
    if (!resolved.ok) return this.#ends.unresolved(request, resolved.refusal);
    const session = resolved.session;
    const batchRefused = isBatch ? batchRefusal(session.protocolVersion) : undefined;
    if (batchRefused !== undefined) return batchRefused;
    if (messages.length === 1 && messages[0].kind === "request") {
      return this.#answer(request, [messages[0].message], isBatch, session, principal);
    }
    return this.#deliverThenAnswer(request, messages, isBatch, session, principal);
  }

  /** A POST's notifications and replies, delivered in order (exchange/client_messages.ts); then its requests, answered. */
  async #deliverThenAnswer(
    request: Request,
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
    session: SessionRecord,
    principal: Principal,
  ): Promise<EraAnswer> {
    const delivered = await deliverClientMessages(
      this.#clientMessages,
      session,
      principal,
      messages,
      this.#telemetry.begin(request),
    );
    if (!Array.isArray(delivered)) return delivered;
    if (delivered.length === 0) return accepted();
    return await this.#answer(request, delivered, isBatch, session, principal);
  }

  /** The POST's requests, run in its session. */
  #answer(
    request: Request,
    requests: readonly JsonRpcRequest[],
    isBatch: boolean,
    session: SessionRecord,
    principal: Principal,
  ): MaybePromise<Response> {
    // In json mode no stream can tell that a client left: the request's signal does (it costs a little on Deno).
    const connection = this.#settings.streams.responseMode === "json" ? request.signal : undefined;
    return answerLegacyRequests(
      this.#exchange,
      requests,
      isBatch,
      session,
      principal,
      connection,
      this.#telemetry.begin(request),
    );
  }

  /** A GET's checks before the entry authenticates it: the stream is offered, Accept, MCP-Protocol-Version. */
  checkGet(request: Request): Refusal | undefined {
    if (!this.#settings.streams.listeningStream) {
      return refuse(405, "Method Not Allowed", {
        headers: { allow: "POST, DELETE" },
        step: "method",
      });
    }
    return checkGetAccept(request) ??
      checkProtocolVersion(request.headers.get("mcp-protocol-version"));
  }

  /** GET, past {@linkcode checkGet}: the session's listening stream, or a resume with Last-Event-ID. */
  async get(request: Request, principal: Principal): Promise<EraAnswer> {
    const resolved = await this.#sessions.resolve(request, principal);
    if (!resolved.ok) return await this.#ends.unresolved(request, resolved.refusal);
    return await openListening(this.#hub, this.#delivery, resolved.session, request.headers);
  }

  /** A DELETE's check before the entry authenticates it: MCP-Protocol-Version. */
  checkDelete = (request: Request): Refusal | undefined =>
    checkProtocolVersion(request.headers.get("mcp-protocol-version"));

  /** Whether a stream or a request of `sessionId` is here (the bus addresses the session to us). */
  holds(sessionId: string): boolean {
    return this.#hub.holds(sessionId) || this.#inFlight.has(sessionId);
  }

  /** DELETE, past {@linkcode checkDelete}: ends the session and everything it has running. */
  async delete(request: Request, principal: Principal): Promise<EraAnswer> {
    const resolved = await this.#sessions.resolve(request, principal);
    if (!resolved.ok) return await this.#ends.unresolved(request, resolved.refusal);
    await this.#ends.delete(resolved.session.id);
    return noContent();
  }

  /** Removes expired sessions and ends what they had running here. */
  sweep(): Promise<void> {
    return this.#ends.sweep();
  }

  /** Acts on a bus message for the sessions this process holds. */
  receive(message: BusMessage): Promise<number> {
    return receiveInSessions(this.#held, message);
  }

  /** Sessions in the store, and what this process holds of them. */
  async stats(): Promise<EraStats> {
    return {
      sessions: await this.#sessions.count(),
      inFlight: this.#inFlight.size,
      openStreams: this.#hub.connectionCount,
      pendingClientRequests: this.#pending.size,
      refusedAtSessionCap: this.#inFlight.refusedAtCap,
      abandoned: this.#inFlight.abandoned,
    };
  }

  /** Listening streams end now; then up to `graceMs` for the work running and its answers' writes. */
  async drain(graceMs: number): Promise<void> {
    this.#heldAtClose = this.#ends.held();
    this.#hub.closeListening();
    // A finished call's last batch may still be waiting for the event log (a Redis round trip):
    // ending its stream now would lose it.
    if (graceMs > 0) {
      await drained(
        graceMs,
        () => this.#inFlight.size + this.#hub.pendingWrites,
        this.#settings.scheduler,
      );
    }
  }

  /** Aborts every call; each is answered at once with an error before its stream ends. */
  abort(reason: "server-closed"): void {
    this.#inFlight.cancelAll(reason);
  }

  /**
   * Waits up to `writesMs` for aborted calls' answers to be logged and
   * written, then rejects pending client requests and ends every stream.
   */
  async close(writesMs: number): Promise<void> {
    if (writesMs > 0) {
      await drained(writesMs, () => this.#hub.pendingWrites, this.#settings.scheduler);
    }
    // Sessions with work or streams here end with the process (their records stay in the store).
    this.#ends.reportClose(this.#heldAtClose);
    this.#inFlight.cancelAll("server-closed");
    this.#pending.rejectAll("The server is closing");
    this.#hub.closeAll();
    this.#hub.orphans.close();
    this.#slowCalls.stop();
  }

  /** Closes the session store when the pipeline made it (close()'s last step; an application's store stays open). */
  closeStore(): Promise<void> {
    return this.#sessions.close();
  }

  /** Disposes every session resource of this process (bounded per resource). */
  dispose(): Promise<void> {
    return this.#resources.disposeAll();
  }

  /** Calls running in sessions. */
  running(): number {
    return this.#inFlight.size;
  }

  /** Each call still running, by method and id. */
  describeRunning(): string[] {
    return this.#inFlight.describe().map(({ id, method }) =>
      `${method ?? "request"} id ${JSON.stringify(id)}`
    );
  }
}
