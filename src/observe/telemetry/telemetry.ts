/**
 * OpenTelemetry for one handler, through `@opentelemetry/api` only: the
 * eras ask {@linkcode Telemetry.begin} once per POST, which answers
 * undefined while no tracer or meter provider is registered (then nothing
 * is built, named or extracted), else a {@linkcode PostTelemetry} that
 * starts one {@linkcode RequestTelemetry} per JSON-RPC request and one
 * span per client notification (notification_telemetry.ts). Providers
 * are looked up on every POST, so one registered after the handler was
 * made is used from then on. Sessions are measured here too
 * (`mcp.server.session.duration`, for sessions that began in this process).
 * Every name and value recorded is one the server knows or is bounded
 * (request_telemetry.ts, known_names.ts).
 *
 * Not here: any SDK, exporter or context manager (the application
 * registers those), server→client notifications and HTTP-level spans.
 * @module
 */

import {
  type Context,
  createNoopMeter,
  type Histogram,
  type Meter,
  metrics,
  trace,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import type { JsonRpcNotification, JsonRpcRequest } from "../../jsonrpc/messages.ts";
import { ATTR, DURATION_BUCKETS, METRIC, SCOPE } from "./conventions.ts";
import { truncateUtf8 } from "./bounded_values.ts";
import { type KnownNames, NO_DEFINITIONS } from "./known_names.ts";
import { type NotificationSpan, startNotificationSpan } from "./notification_telemetry.ts";
import { type RequestInstruments, RequestTelemetry } from "./request_telemetry.ts";
import { httpContext } from "./trace_parent.ts";

/** Sessions remembered for their duration metric at most (the oldest is forgotten first). */
const MAX_REMEMBERED_SESSIONS = 100_000;

/** The API's no-op meter: what `getMeter` returns while no meter provider is registered. */
const NOOP_METER = createNoopMeter();

/**
 * Where `@opentelemetry/api` 1.x keeps what is registered (one object on
 * `globalThis` shared by every copy of the API): absent, or without `trace`
 * and `metrics`, until a tracer or meter provider is registered.
 */
const OTEL_API_GLOBAL = Symbol.for("opentelemetry.js.api.1");

/** True while no tracer or meter provider can be registered: one property read, no API call. */
function nothingRegistered(): boolean {
  const api = (globalThis as Record<symbol, { trace?: unknown; metrics?: unknown } | undefined>)[
    OTEL_API_GLOBAL
  ];
  return api === undefined || (api.trace === undefined && api.metrics === undefined);
}

/** The tracer of the registered provider, or undefined while there is none. */
function currentTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider() as TracerProvider & {
    getDelegateTracer?: (name: string) => Tracer | undefined;
  };
  // The API's proxy provider has a delegate only once an SDK registered one.
  return provider.getDelegateTracer !== undefined
    ? provider.getDelegateTracer(SCOPE)
    : provider.getTracer(SCOPE);
}

interface Instruments extends RequestInstruments {
  meter: Meter;
  sessionDuration: Histogram;
}

/** One request's scope within a POST: the tracer, the instruments and the HTTP context. */
export class PostTelemetry {
  readonly #tracer: Tracer | undefined;
  readonly #instruments: RequestInstruments | undefined;
  readonly #names: KnownNames;
  readonly #source: Request | Headers | undefined;
  #http: Context | undefined;

  constructor(
    tracer: Tracer | undefined,
    instruments: RequestInstruments | undefined,
    names: KnownNames,
    source: Request | Headers | undefined,
  ) {
    this.#tracer = tracer;
    this.#instruments = instruments;
    this.#names = names;
    this.#source = source;
  }

  /** Starts a request's telemetry (its SERVER span, its timing). */
  start(
    request: JsonRpcRequest,
    protocolVersion: string,
    sessionId: string | undefined,
    modern: boolean,
  ): RequestTelemetry {
    const source = this.#source;
    this.#http ??= httpContext(source instanceof Request ? source.headers : source);
    return new RequestTelemetry({
      tracer: this.#tracer,
      instruments: this.#instruments,
      names: this.#names,
      http: this.#http,
      protocolVersion,
      sessionId,
      modern,
    }, request);
  }

  /** Starts a client notification's SERVER span; undefined without a tracer. */
  notification(
    notification: JsonRpcNotification,
    protocolVersion: string,
    sessionId: string | undefined,
  ): NotificationSpan | undefined {
    if (this.#tracer === undefined) return undefined;
    const source = this.#source;
    this.#http ??= httpContext(source instanceof Request ? source.headers : source);
    return startNotificationSpan(
      this.#tracer,
      this.#names,
      this.#http,
      notification,
      protocolVersion,
      sessionId,
    );
  }
}

/** The handler's telemetry: its instruments, per registered meter provider, and session start times. */
export class Telemetry {
  #instruments: Instruments | undefined;
  readonly #sessions = new Map<string, { started: number; protocolVersion: string }>();
  readonly #names: KnownNames;

  /** `names`: what the server defines (knownNamesOf); by default only the MCP methods. */
  constructor(names: KnownNames = NO_DEFINITIONS) {
    this.#names = names;
  }

  /**
   * The telemetry of one POST (its trace headers are read from `source` only
   * when needed); undefined when no provider is registered.
   */
  begin(source: Request | Headers | undefined): PostTelemetry | undefined {
    if (nothingRegistered()) return undefined;
    const tracer = currentTracer();
    const instruments = this.#current();
    if (tracer === undefined && instruments === undefined) return undefined;
    return new PostTelemetry(tracer, instruments, this.#names, source);
  }

  /** A session began here (remembered for its duration only while a meter provider is registered). */
  sessionStarted(sessionId: string, protocolVersion: string): void {
    if (this.#current() === undefined) return;
    if (this.#sessions.size >= MAX_REMEMBERED_SESSIONS) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    this.#sessions.set(sessionId, { started: performance.now(), protocolVersion });
  }

  /** A session ended: its duration, when it began in this process. */
  sessionEnded(sessionId: string, reason: string): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return;
    this.#sessions.delete(sessionId);
    this.#current()?.sessionDuration.record((performance.now() - session.started) / 1000, {
      [ATTR.protocolVersion]: truncateUtf8(session.protocolVersion),
      [ATTR.networkTransport]: "tcp",
      [ATTR.networkProtocol]: "http",
      [ATTR.sessionEndReason]: reason,
    });
  }

  /** The instruments of the registered meter provider; undefined while there is none. */
  #current(): Instruments | undefined {
    const meter = metrics.getMeter(SCOPE);
    if (meter === NOOP_METER) return undefined;
    if (this.#instruments?.meter === meter) return this.#instruments;
    const advice = { explicitBucketBoundaries: DURATION_BUCKETS };
    this.#instruments = {
      meter,
      operationDuration: meter.createHistogram(METRIC.operationDuration, {
        unit: "s",
        description:
          "MCP request duration as observed on the receiver from the time it was received until the result is sent.",
        advice,
      }),
      sessionDuration: meter.createHistogram(METRIC.sessionDuration, {
        unit: "s",
        description: "The duration of the MCP session as observed on the MCP server.",
        advice,
      }),
      activeRequests: meter.createUpDownCounter(METRIC.activeRequests, {
        unit: "{request}",
        description: "MCP requests in progress in this process.",
      }),
    };
    return this.#instruments;
  }
}
