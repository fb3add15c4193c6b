/**
 * A test-only Worker with the OpenTelemetry SDK registered (an in-memory span
 * exporter behind a simple processor, a meter provider with a reader
 * collected on demand, the W3C propagator): one Durable Object serves a tether handler with a
 * tool, a prompt, a resource, a resource template and a tool that elicits,
 * and at `/__telemetry` answers the finished spans (name, kind, ids,
 * attributes, events, status) and every metric's attribute sets as JSON. Every request
 * goes to that object, so one handler and one SDK see them all.
 * scripts/workerd_fixture.sh serves it with WORKER_ENTRY set to this file
 * (WORKERD_MODE=durable-object). No context manager: AsyncLocalStorage
 * needs nodejs_compat, which the fixture does not set. Not a test file itself.
 * @module
 */

import { metrics, propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import {
  createMcpHandler,
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
  type McpHandler,
} from "../../../mod.ts";
import {
  type DurableObjectNamespaceLike,
  mcpDurableObject,
  routeToDurableObject,
} from "../../../src/adapters/cloudflare.ts";

/** A reader the `/__telemetry` route collects from on demand. */
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

/** The SDK's exporter and reader, once registered (in the object's constructor, not at module scope). */
let sdk: { exporter: InMemorySpanExporter; reader: ManualReader } | undefined;

/** Registers the tracer and meter providers once per isolate. */
function registerSdk(): { exporter: InMemorySpanExporter; reader: ManualReader } {
  if (sdk !== undefined) return sdk;
  const exporter = new InMemorySpanExporter();
  const reader = new ManualReader();
  trace.setGlobalTracerProvider(
    new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  sdk = { exporter, reader };
  return sdk;
}

/** What the SDK collected, as JSON: spans and each metric's attribute sets. */
async function telemetry(): Promise<Response> {
  const { exporter, reader } = registerSdk();
  const spans = exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    kind: span.kind,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: span.attributes,
    events: span.events.map((event) => ({ name: event.name, attributes: event.attributes ?? {} })),
    status: span.status,
  }));
  const { resourceMetrics, errors } = await reader.collect();
  const points: Record<string, unknown[]> = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const list = points[metric.descriptor.name] ??= [];
      for (const point of metric.dataPoints) list.push(point.attributes);
    }
  }
  return Response.json({ spans, metrics: points, errors: errors.map(String) });
}

/** The server: one of each kind of name a client can choose, and a tool that elicits. */
function createServer(): McpHandler {
  return createMcpHandler({
    name: "telemetry-worker",
    version: "1.0.0",
    observe: {
      onError: () => {},
    },
    tools: [
      defineTool({ name: "echo", handler: ({ text }: { text?: string }) => text ?? "" }),
      defineTool({
        name: "ask",
        handler: async (_input, ctx) => {
          const answer = await ctx.elicit({
            message: "Who are you?",
            requestedSchema: { type: "object", properties: { name: { type: "string" } } },
          });
          return JSON.stringify(answer);
        },
      }),
    ],
    prompts: [definePrompt({
      name: "greet",
      arguments: [{ name: "who" }],
      handler: ({ who }) => {
        // A failure that repeats the client's input (recorded on the run span, bounded).
        if (who !== undefined && who.length > 1000) throw new Error(`cannot greet ${who}`);
        return "hello";
      },
    })],
    resources: [defineResource({ uri: "test://fixed", name: "fixed", read: () => "fixed" })],
    resourceTemplates: [
      defineResourceTemplate({
        uriTemplate: "test://items/{id}",
        name: "item",
        read: (_uri, { id }) => `item ${id}`,
      }),
    ],
  });
}

/** The Durable Object: the handler, and `/__telemetry`. */
export const McpObject = mcpDurableObject(() => {
  registerSdk();
  const server = createServer();
  return (request: Request) =>
    new URL(request.url).pathname === "/__telemetry" ? telemetry() : server(request);
});

/** The Worker: everything to the one object. */
export default {
  fetch(request: Request, env: { MCP_OBJECT: DurableObjectNamespaceLike }): Promise<Response> {
    return routeToDurableObject(env.MCP_OBJECT)(request);
  },
};
