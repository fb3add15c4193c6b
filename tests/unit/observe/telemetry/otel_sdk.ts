/**
 * The OpenTelemetry SDK, registered once per test process: an in-memory span
 * exporter behind a simple processor, a meter provider with a manual reader,
 * the W3C propagators and the AsyncLocalStorage context manager of
 * examples/otel.ts. Bun runs every test file in one process: each file that
 * uses this registers the SDK before its tests and unregisters it after
 * (`before(registerSdk)`, `after(unregisterSdk)`), so the other files run
 * without a provider, as tether's users do by default.
 */
import {
  type Attributes,
  context,
  metrics,
  propagation,
  type SpanContext,
  trace,
  TraceFlags,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  AggregationTemporality,
  type HistogramMetricData,
  MeterProvider,
  MetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { AsyncLocalStorageContextManager } from "../../../../examples/otel.ts";

/** A reader the test collects from on demand. */
class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Every finished span of this process, until `reset()`. */
export const exporter: InMemorySpanExporter = new InMemorySpanExporter();
const reader = new ManualReader();

const tracerProvider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const meterProvider = new MeterProvider({ readers: [reader] });
const contextManager = new AsyncLocalStorageContextManager();

/** Registers the providers, the W3C propagator and the context manager (again, if need be). */
export function registerSdk(): void {
  unregisterSdk();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
}

/** Unregisters everything {@linkcode registerSdk} registered: the API is a no-op again. */
export function unregisterSdk(): void {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
}

/** Finished spans named `name`. */
export function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

/** The one finished span named `name` (fails when there is not exactly one). */
export function spanNamed(name: string): ReadableSpan {
  const found = spansNamed(name);
  if (found.length !== 1) {
    const names = exporter.getFinishedSpans().map((span) => span.name);
    throw new Error(`expected one span "${name}", found ${found.length} among ${names.join(", ")}`);
  }
  return found[0];
}

/** The parent span id of `span` (SDK 2+ spells it `parentSpanContext`). */
export function parentIdOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** A remote caller's span context, and its `traceparent` header value. */
export function remoteCaller(seed: string): { context: SpanContext; traceparent: string } {
  const traceId = seed.repeat(32).slice(0, 32);
  const spanId = seed.repeat(16).slice(0, 16);
  return {
    context: { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true },
    traceparent: `00-${traceId}-${spanId}-01`,
  };
}

/** The histogram data points of metric `name` collected now. */
export async function histogram(name: string): Promise<HistogramMetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name) return metric as HistogramMetricData;
    }
  }
  return undefined;
}

/** Every metric collected now, by name: the attributes of each of its data points. */
export async function metricPoints(): Promise<Map<string, Attributes[]>> {
  const { resourceMetrics } = await reader.collect();
  const points = new Map<string, Attributes[]>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const list = points.get(metric.descriptor.name) ?? [];
      for (const point of metric.dataPoints) list.push(point.attributes);
      points.set(metric.descriptor.name, list);
    }
  }
  return points;
}
