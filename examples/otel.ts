/**
 * OpenTelemetry for a tether server: traces and metrics exported over
 * OTLP/HTTP (JSON) with the SDK 3.x packages, wired by hand (there is no
 * sdk-node for every runtime): a tracer provider with a batch span processor,
 * a meter provider with a periodic exporting reader, the W3C trace context
 * and baggage propagators, and an AsyncLocalStorage context manager (without
 * one, `context.active()` does not follow an `await`). tether itself only
 * uses `@opentelemetry/api`, so this file is all it takes.
 *
 * Run (any runtime), with a collector listening on 4318:
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_SERVICE_NAME=weather \
 *     node_modules/.bin/deno run -A examples/otel.ts
 *   (or node_modules/.bin/bun examples/otel.ts, node_modules/node24/bin/node examples/otel.ts)
 * Environment: the standard OTEL_EXPORTER_OTLP_ENDPOINT (traces to
 * `<endpoint>/v1/traces`, metrics to `<endpoint>/v1/metrics`; or the
 * signal's own OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
 * OTEL_EXPORTER_OTLP_METRICS_ENDPOINT), OTEL_EXPORTER_OTLP_PROTOCOL (only
 * `http/json` is available here), OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME,
 * OTEL_BSP_SCHEDULE_DELAY (ms, default 5,000), OTEL_METRIC_EXPORT_INTERVAL
 * (ms, default 60,000); PORT (default 8787; 0 picks a free port).
 *
 * examples/everything.ts (the conformance fixture) calls
 * {@linkcode startTracing} and {@linkcode startMetrics} when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Context,
  context,
  type ContextManager,
  metrics,
  propagation,
  ROOT_CONTEXT,
  trace,
} from "@opentelemetry/api";
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from "@opentelemetry/core";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import * as z from "zod";
import { createMcpHandler, defineTool, type McpHandler } from "../mod.ts";
import { serveHandler } from "./serve.ts";

/** Environment variables, as `process.env` has them. */
export type OtelEnv = Record<string, string | undefined>;

/**
 * A context manager on `AsyncLocalStorage` (`node:async_hooks`, on Deno,
 * Bun and Node): the active context follows `await`s, so spans a tool
 * starts with the active context are children of its span.
 */
export class AsyncLocalStorageContextManager implements ContextManager {
  #storage = new AsyncLocalStorage<Context>();

  /** The context of the code running now. */
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }

  /** Runs `fn` with `ctx` active (across its awaits). */
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.apply(thisArg, args));
  }

  /** A function that runs `target` with `ctx` active. */
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== "function") return target;
    const run = (...args: unknown[]) => this.with(ctx, () => target(...args));
    return run as T;
  }

  /** Nothing to start. */
  enable(): this {
    return this;
  }

  /** Forgets the active context. */
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

/** A signal's OTLP/HTTP URL: its own endpoint as is, else the base one + `/v1/<signal>`. */
function signalUrl(own: string | undefined, env: OtelEnv, signal: string): string | undefined {
  if (own !== undefined && own !== "") return own;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (base === undefined || base === "") return undefined;
  return `${base.replace(/\/+$/, "")}/v1/${signal}`;
}

/** The OTLP/HTTP traces URL: the signal's own endpoint as is, else the base one + `/v1/traces`. */
export function tracesUrl(env: OtelEnv): string | undefined {
  return signalUrl(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, env, "traces");
}

/** The OTLP/HTTP metrics URL: the signal's own endpoint as is, else the base one + `/v1/metrics`. */
export function metricsUrl(env: OtelEnv): string | undefined {
  return signalUrl(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, env, "metrics");
}

/** The resource both providers describe: the SDK's default, named by OTEL_SERVICE_NAME. */
function resourceOf(env: OtelEnv): Resource {
  return defaultResource().merge(
    resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || "tether-mcp" }),
  );
}

/** Warns when a signal asks for an OTLP protocol other than `http/json` (the only one here). */
function checkProtocol(env: OtelEnv, own: string | undefined): void {
  const protocol = own || env.OTEL_EXPORTER_OTLP_PROTOCOL || "http/json";
  if (protocol !== "http/json") {
    console.warn(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not available here: using http/json`);
  }
}

/** `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,key2=value2`, values URL-encoded). */
function headersOf(env: OtelEnv): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (env.OTEL_EXPORTER_OTLP_HEADERS ?? "").split(",")) {
    const equals = pair.indexOf("=");
    if (equals <= 0) continue;
    headers[pair.slice(0, equals).trim()] = decodeURIComponent(pair.slice(equals + 1).trim());
  }
  return headers;
}

/** What {@linkcode startTracing} set up. */
export interface Tracing {
  /** The registered tracer provider. */
  provider: TracerProvider;
  /** Exports what is queued, then stops (call it before the process exits). */
  shutdown(): Promise<void>;
}

/**
 * Registers a tracer provider exporting over OTLP/HTTP JSON, the W3C
 * propagators and the AsyncLocalStorage context manager, when `env` names an
 * endpoint; undefined (nothing registered) otherwise.
 */
export function startTracing(env: OtelEnv): Tracing | undefined {
  const url = tracesUrl(env);
  if (url === undefined) return undefined;
  checkProtocol(env, env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL);
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  const provider = new TracerProvider({
    resource: resourceOf(env),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url, headers: headersOf(env) }),
        ...(Number.isFinite(delay) && delay >= 0 ? { scheduledDelayMillis: delay } : {}),
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);
  return { provider, shutdown: () => provider.shutdown() };
}

/** What {@linkcode startMetrics} set up. */
export interface Metrics {
  /** The registered meter provider. */
  provider: MeterProvider;
  /** Exports what was measured, then stops (call it before the process exits). */
  shutdown(): Promise<void>;
}

/**
 * Registers a meter provider exporting over OTLP/HTTP JSON every
 * OTEL_METRIC_EXPORT_INTERVAL ms (default 60,000), when `env` names an
 * endpoint; undefined (nothing registered) otherwise. tether's metrics then
 * flow: `mcp.server.operation.duration`, `mcp.server.session.duration` and
 * `tether.server.active_requests` (docs/observability.md, Metrics).
 */
export function startMetrics(env: OtelEnv): Metrics | undefined {
  const url = metricsUrl(env);
  if (url === undefined) return undefined;
  checkProtocol(env, env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL);
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  const provider = new MeterProvider({
    resource: resourceOf(env),
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url, headers: headersOf(env) }),
        ...(Number.isFinite(interval) && interval > 0 ? { exportIntervalMillis: interval } : {}),
      }),
    ],
  });
  metrics.setGlobalMeterProvider(provider);
  return { provider, shutdown: () => provider.shutdown() };
}

/**
 * A server whose tool calls another service: the outgoing request carries
 * the tool span's trace context (`ctx.traceContext`), so that service's
 * spans join the caller's trace. `forecastUrl` may be a function, read at
 * each call (for a service whose port is known only once it listens).
 */
export function createTracedHandler(forecastUrl: string | (() => string)): McpHandler {
  const urlOf = typeof forecastUrl === "string" ? () => forecastUrl : forecastUrl;
  const forecast = defineTool({
    name: "forecast",
    description: "The forecast for a city, from the forecast service",
    input: z.object({ city: z.string() }),
    handler: async ({ city }, ctx) => {
      const headers: Record<string, string> = {};
      // The tool's span context; with the context manager above it is also context.active().
      propagation.inject(ctx.traceContext ?? context.active(), headers);
      const response = await fetch(`${urlOf()}?city=${encodeURIComponent(city)}`, {
        headers,
        signal: ctx.signal,
      });
      return await response.text();
    },
  });
  return createMcpHandler({ name: "weather", version: "1.0.0", tools: [forecast] });
}

if (
  (import.meta as { main?: boolean }).main ||
  (globalThis as { process?: { argv: string[] } }).process?.argv?.[1]?.endsWith("otel.ts")
) {
  const env = (globalThis as { process?: { env: OtelEnv } }).process?.env ?? {};
  const tracing = startTracing(env);
  const metering = startMetrics(env);
  if (tracing === undefined && metering === undefined) {
    console.log("OTEL_EXPORTER_OTLP_ENDPOINT is not set: no export");
  }
  // The forecast service: here the same process, at /forecast, printing the trace it joined;
  // its URL is known once the server listens (PORT=0 picks a free port).
  let forecastUrl = "";
  const mcp = createTracedHandler(() => forecastUrl);
  const server = await serveHandler(
    Object.assign((request: Request) => {
      if (new URL(request.url).pathname !== "/forecast") return mcp(request);
      console.log(`forecast called within trace ${request.headers.get("traceparent")}`);
      return Promise.resolve(new Response("sunny"));
    }, {
      close: async () => {
        await mcp.close();
        await tracing?.shutdown();
        await metering?.shutdown();
      },
    }),
    Number(env.PORT ?? 8787),
  );
  forecastUrl = `${server.url}/forecast`;
  console.log(`MCP on ${server.url}/mcp`);
}
