/**
 * The 2025 revisions served without sessions (`eras: { legacy: "stateless" }`),
 * for a deployment that keeps no state between requests (serverless, no
 * shared store): `initialize` is answered without an `Mcp-Session-Id`, every
 * later POST stands alone (a session id a client still sends is ignored, never
 * `404`), and GET and DELETE answer `405`. Each POST gets a key of its own for
 * its in-flight work and its stream, both ended with its answer.
 *
 * Server→client requests (`ctx.elicit`, `ctx.sample`, `ctx.listRoots`) go on
 * the POST's own stream; the reply, a POST of its own, is matched in this
 * process by its id (stateless_replies.ts), so with several instances it must
 * reach the one that asked (else the request times out there).
 *
 * A `notifications/cancelled` (a POST of its own) reaches the calls of the
 * same principal with its request id, here or, through the bus, on the
 * instance running them (stateless_cancels.ts); an anonymous caller's is
 * ignored. Closing a call's response cancels its work too.
 *
 * What it does NOT do, because each needs a session: resumable streams (no
 * priming event, and a resume GET is `405`), a listening stream,
 * `ctx.session` (undefined), resource subscriptions and `listChanged`
 * announcements (not advertised). `logging/setLevel` succeeds and changes
 * nothing: every POST logs at the default level.
 * @module
 */

import { jsonResponse } from "../../http/error_response.ts";
import { accepted } from "../../http/responses.ts";
import type { Refusal } from "../../http/refusal.ts";
import type { ClassifiedMessage, JsonRpcRequest } from "../../jsonrpc/messages.ts";
import type { Scheduler } from "../../runtime.ts";
import { ownerKeyOf, type Principal } from "../../protocol/context/request_context.ts";
import type { Dispatcher } from "../../protocol/dispatch/dispatcher.ts";
import type { KeepAlive } from "../../http/sse/keep_alive.ts";
import type { StreamBufferSettings } from "../../http/sse/sse_connection.ts";
import { SlowCalls, STREAM_AFTER_MS } from "../../http/slow_calls.ts";
import type { Telemetry } from "../../observe/telemetry/telemetry.ts";
import { answerInitialize } from "../exchange/initialize_answer.ts";
import { batchRefusal, findInitialize, initializeInBatch } from "../exchange/post_shape.ts";
import { checkLegacyPost } from "../protocol_version.ts";
import type { BusMessage } from "../../bus/message_bus.ts";
import { type Delivery, LocalDelivery } from "../../bus/delivery.ts";
import type { EraStats, LegacyEra, RoutedPost } from "../../era.ts";
import { drained } from "../../http/drained.ts";
import { InFlightRegistry, type SessionRequestLimit } from "../exchange/in_flight.ts";
import { StatelessReplies } from "./stateless_replies.ts";
import {
  cancellationOwnerOf,
  statelessCancellationOf,
  StatelessCancels,
} from "./stateless_cancels.ts";
import { deliverOrRefuse } from "../exchange/client_messages.ts";
import { OrphanWatch } from "../streams/orphan_watch.ts";
import { StreamHub, type StreamHubOptions } from "../streams/stream_hub.ts";
import { MemoryEventLog } from "../../storage/event_log/memory_event_log.ts";
import {
  answerLegacyRequests,
  type LegacyExchangeDependencies,
} from "../exchange/request_exchange.ts";
import {
  NO_SESSION,
  notAllowed,
  STATELESS_NOTE,
  withoutSessionCapabilities,
} from "./without_session.ts";
import type { SessionRecord } from "../../storage/sessions/session_store.ts";

/** The version a request without `MCP-Protocol-Version` speaks (the spec's assumption). */
const DEFAULT_VERSION = "2025-03-26";

/**
 * The `streams` settings of a 2025 call's answer, with sessions or without:
 * each field as the part that reads it declares it.
 */
export type LegacyAnswerSettings =
  & StreamBufferSettings
  & Pick<StreamHubOptions, "retryMs">
  & Pick<LegacyExchangeDependencies, "responseMode" | "clientRequestTimeoutMs">;

/**
 * The settings of the 2025 revisions without sessions, by option group (the
 * handler's resolved options fit); no field is declared here.
 *
 * @example
 * ```ts
 * import type { StatelessSettings } from "./stateless_legacy.ts";
 * const streamsEveryCall = (settings: StatelessSettings): boolean =>
 *   settings.streams.responseMode === "sse";
 * ```
 */
export interface StatelessSettings {
  /** The bound of each POST's requests in flight. */
  sessions: SessionRequestLimit;
  /** How calls are answered, and how much their streams buffer. */
  streams: LegacyAnswerSettings;
  /** Where unexpected errors go. */
  observe: Pick<StreamHubOptions, "onError">;
  /** The timers of the bounded waits at close (undefined: the runtime's). */
  scheduler: Scheduler | undefined;
}

/** What the stateless POSTs are built from. */
export interface StatelessLegacyOptions {
  settings: StatelessSettings;
  dispatcher: Dispatcher;
  /** The handler's heartbeat timer, shared with the other streams. */
  keepAlive: KeepAlive;
  telemetry: Telemetry;
  /**
   * Where a cancellation goes: to the calls here, or through the bus to
   * another instance; and where long calls are recorded for it. Default:
   * this era alone.
   */
  delivery?: Pick<Delivery, "deliver" | "requests">;
}

/** The 2025 revisions without sessions: `initialize`, then POSTs that each stand alone. */
export class StatelessLegacy implements LegacyEra {
  /** How close()'s report names this era's work. */
  readonly label = "without sessions";
  /** The work of every POST in flight, each under its POST's own key. */
  readonly inFlight: InFlightRegistry;
  /** Streams of the POSTs answering now; their events live as long as the POST. */
  readonly hub: StreamHub;
  readonly #pending = new StatelessReplies();
  readonly #slowCalls: SlowCalls;
  readonly #settings: StatelessSettings;
  readonly #dispatcher: Dispatcher;
  readonly #telemetry: Telemetry;
  readonly #exchange: LegacyExchangeDependencies;
  readonly #cancels: StatelessCancels;
  readonly #delivery: Pick<Delivery, "deliver" | "requests">;
  #nextKey = 0;

  /** The stateless POST path over `options`. */
  constructor(options: StatelessLegacyOptions) {
    const { settings, dispatcher } = options;
    const { streams } = settings;
    const onError = settings.observe.onError;
    this.#settings = settings;
    this.#dispatcher = dispatcher;
    this.#telemetry = options.telemetry;
    this.#slowCalls = new SlowCalls(STREAM_AFTER_MS, 2, settings.scheduler);
    this.inFlight = new InFlightRegistry({
      maxPerSession: settings.sessions.maxRequestsPerSession,
    });
    this.#delivery = options.delivery ??
      new LocalDelivery((message) => Promise.resolve(this.receive(message)));
    this.#cancels = new StatelessCancels(
      this.inFlight,
      this.#delivery.requests,
      this.#slowCalls,
      onError,
    );
    this.hub = new StreamHub({
      // Nothing is resumed: the log only carries a POST's events to its own connection.
      eventLog: new MemoryEventLog(),
      keepAlive: options.keepAlive,
      maxBufferedBytes: streams.maxStreamBufferBytes,
      retryMs: streams.retryMs,
      // No client can come back for work whose connection dropped: it is abandoned at once.
      orphans: new OrphanWatch(0),
      onError,
    });
    this.#exchange = {
      dispatcher,
      hub: this.hub,
      inFlight: this.inFlight,
      pending: this.#pending,
      responseMode: streams.responseMode,
      clientRequestTimeoutMs: streams.clientRequestTimeoutMs,
      slowCalls: this.#slowCalls,
      sessions: NO_SESSION,
      stateless: STATELESS_NOTE,
    };
  }

  /** A legacy POST: `initialize` answered without a session; requests answered on their own; the rest `202`. */
  async serve(post: RoutedPost): Promise<Response | Refusal> {
    const { request, headers, messages, isBatch, principal } = post;
    const initialize = findInitialize(messages);
    if (initialize !== undefined) {
      if (isBatch) return initializeInBatch();
      return await this.#initialize(initialize.message as JsonRpcRequest, principal, request);
    }
    const version = headers.get("mcp-protocol-version") ?? DEFAULT_VERSION;
    const batchRefused = isBatch ? batchRefusal(version) : undefined;
    if (batchRefused !== undefined) return batchRefused;
    // Replies settle this process's waits by id; a cancellation reaches the principal's calls
    // wherever they run; other notifications have no session to reach.
    const ownerKey = ownerKeyOf(principal);
    const requests: JsonRpcRequest[] = [];
    for (const message of messages) {
      if (message.kind === "response") this.#pending.deliverById(ownerKey, message.message);
      else if (message.kind === "request") requests.push(message.message as JsonRpcRequest);
      else {
        const cancel = statelessCancellationOf(message.message, principal);
        const refused = cancel === undefined ? undefined : await deliverOrRefuse(
          { delivery: this.#delivery, onError: this.#settings.observe.onError },
          cancel,
        );
        if (refused !== undefined) return refused;
      }
    }
    if (requests.length === 0) return accepted();
    const key = `stateless-${++this.#nextKey}`;
    const cancelledBy = cancellationOwnerOf(principal);
    if (cancelledBy !== undefined) this.#cancels.begin(key, cancelledBy, requests);
    const record: SessionRecord = {
      id: key,
      ownerKey,
      protocolVersion: version,
      clientCapabilities: {},
      createdAt: 0,
      expiresAt: Number.POSITIVE_INFINITY,
    };
    const connection = this.#settings.streams.responseMode === "json" ? request.signal : undefined;
    let response: Response;
    try {
      response = await answerLegacyRequests(
        this.#exchange,
        requests,
        isBatch,
        record,
        principal,
        connection,
        this.#telemetry.begin(request),
      );
    } catch (error) {
      this.#end(key); // nothing of the POST outlives it
      throw error;
    }
    return this.#endingWith(response, key);
  }

  /** A POST's checks before the entry authenticates it: its MCP-Protocol-Version header. */
  checkPost(
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
    versionHeader: string | null,
  ): Refusal | undefined {
    return checkLegacyPost(messages, isBatch, versionHeader);
  }

  /** GET: there is no listening stream and nothing to resume. */
  checkGet(): Refusal {
    return notAllowed();
  }

  /** Nothing here belongs to a session: the bus never addresses one to this era. */
  holds(): boolean {
    return false;
  }

  /** DELETE: there is no session to end. */
  checkDelete(): Refusal {
    return notAllowed();
  }

  /** Never reached ({@linkcode checkGet} refuses first). */
  get(): Promise<Refusal> {
    return Promise.resolve(notAllowed());
  }

  /** Never reached ({@linkcode checkDelete} refuses first). */
  delete(): Promise<Refusal> {
    return Promise.resolve(notAllowed());
  }

  /** A cancellation, from this instance or another, reaches the calls it names here. */
  receive(message: BusMessage): number {
    return message.type === "stateless-cancel"
      ? this.#cancels.cancel(message.ownerKey, message.requestId)
      : 0;
  }

  /** The POSTs answering now (no sessions; none waits for a client's reply across POSTs). */
  stats(): EraStats {
    return {
      sessions: 0,
      inFlight: this.inFlight.size,
      openStreams: this.hub.connectionCount,
      pendingClientRequests: 0,
      refusedAtSessionCap: 0,
      abandoned: 0,
    };
  }

  /** No listening stream to end; up to `graceMs` for the work running and its answers' writes. */
  async drain(graceMs: number): Promise<void> {
    if (graceMs > 0) {
      await drained(
        graceMs,
        () => this.inFlight.size + this.hub.pendingWrites,
        this.#settings.scheduler,
      );
    }
  }

  /** Aborts the work in flight. */
  abort(reason: "server-closed"): void {
    this.inFlight.cancelAll(reason);
  }

  /** Ends every stream now (a POST's answer is its own: nothing is logged for later). */
  close(_writesMs = 0): Promise<void> {
    this.#close();
    return Promise.resolve();
  }

  /** Nothing to dispose: no session holds resources. */
  dispose(): Promise<void> {
    return Promise.resolve();
  }

  /** Requests running in POSTs. */
  running(): number {
    return this.inFlight.size;
  }

  /** Each request still running, by method and id. */
  describeRunning(): string[] {
    return this.inFlight.describe().map(({ id, method }) =>
      `${method ?? "request"} id ${JSON.stringify(id)}`
    );
  }

  /** Aborts the work in flight and ends every stream (the handler is closing). */
  #close(): void {
    this.inFlight.cancelAll("server-closed");
    this.#pending.rejectAll("The server is closing");
    this.hub.closeAll();
    this.hub.orphans.close();
    this.#slowCalls.stop();
  }

  /** `response`, after which the POST's key is forgotten: at once for JSON, when its stream ends or is cancelled. */
  #endingWith(response: Response, key: string): Response {
    const body = response.body;
    if (body === null || !response.headers.get("content-type")?.startsWith("text/event-stream")) {
      this.#end(key);
      return response;
    }
    const reader = body.getReader();
    const wrapped = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            this.#end(key);
          } else controller.enqueue(value);
        } catch (error) {
          this.#end(key);
          controller.error(error);
        }
      },
      // The client closed the response: that is the cancellation of its work here.
      cancel: (reason) => {
        this.#end(key);
        return reader.cancel(reason);
      },
    });
    return new Response(wrapped, { status: response.status, headers: response.headers });
  }

  /** Ends what the POST under `key` still holds: its work, its streams, its events. */
  #end(key: string): void {
    this.#cancels.end(key);
    this.inFlight.cancelSession(key, "abandoned");
    this.#pending.rejectSession(key, "The request ended");
    this.hub.endSession(key);
    this.hub.eventLog.deleteSession(key).catch(this.#settings.observe.onError);
  }

  /** An `initialize`, answered without a session and without what needs one. */
  #initialize(
    request: JsonRpcRequest,
    principal: Principal,
    post: Request,
  ): Promise<Response | Refusal> {
    const parts = { dispatcher: this.#dispatcher, telemetry: this.#telemetry };
    // No Mcp-Session-Id: the client sends none, and every later POST is served on its own.
    return answerInitialize(parts, request, principal, post, (response) =>
      Promise.resolve({
        answer: jsonResponse(
          JSON.stringify({ ...response, result: withoutSessionCapabilities(response.result) }),
        ),
      }));
  }
}
