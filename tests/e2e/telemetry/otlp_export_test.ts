/**
 * The fixture contract: examples/everything.ts started with
 * OTEL_EXPORTER_OTLP_ENDPOINT (and OTEL_EXPORTER_OTLP_PROTOCOL=http/json,
 * OTEL_SERVICE_NAME, a short OTEL_BSP_SCHEDULE_DELAY and
 * OTEL_METRIC_EXPORT_INTERVAL) sends real OTLP/HTTP JSON to that endpoint: a
 * loopback receiver in the test gets the SERVER span of a tool call, on the
 * caller's trace, under the service's name, at /v1/traces, and its
 * `mcp.server.operation.duration` at /v1/metrics, where a tool the fixture
 * does not define is `_OTHER`. The fixture runs on the runtime running the
 * test.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import process from "node:process";
import { serveHandler } from "../../../examples/serve.ts";
import { BINARIES, startExample, stopExamples } from "../examples/example_process.ts";
import { rawInitialize, rawPost } from "../interop/helpers.ts";
import { until } from "../../helpers.ts";

afterEach(stopExamples);

/** The command that runs `file` on this test's runtime. */
function onThisRuntime(file: string): [string, string[]] {
  if ("Deno" in globalThis) return [BINARIES.deno, ["run", "-A", file]];
  if ("Bun" in globalThis) return [BINARIES.bun, [file]];
  return [process.execPath, [file]];
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  name: string;
  kind: number;
  traceId: string;
  parentSpanId?: string;
  attributes: OtlpAttribute[];
}
interface OtlpMetric {
  name: string;
  histogram?: { dataPoints: { attributes: OtlpAttribute[] }[] };
}
interface OtlpExport {
  resourceMetrics?: {
    resource: { attributes: OtlpAttribute[] };
    scopeMetrics: { scope: { name: string }; metrics: OtlpMetric[] }[];
  }[];
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
  }[];
}

const attribute = (attributes: OtlpAttribute[], key: string) =>
  attributes.find((entry) => entry.key === key)?.value.stringValue;

describe("the fixture exports OTLP/HTTP JSON", () => {
  it("a tool call's SERVER span and duration reach the collector, on the caller's trace", async () => {
    const received: { path: string; type: string | null; body: OtlpExport }[] = [];
    const collector = await serveHandler(async (request) => {
      received.push({
        path: new URL(request.url).pathname,
        type: request.headers.get("content-type"),
        body: await request.json(),
      });
      return new Response("{}", { headers: { "content-type": "application/json" } });
    }, 0);
    try {
      const [command, args] = onThisRuntime("examples/everything.ts");
      const fixture = await startExample(command, args, /http:\/\/127\.0\.0\.1:\d+\/mcp\b/, {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "tether-fixture-test",
        OTEL_BSP_SCHEDULE_DELAY: "50",
        OTEL_METRIC_EXPORT_INTERVAL: "100",
      });
      const sessionId = await rawInitialize(fixture.url);
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const response = await rawPost(fixture.url, sessionId, {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "test_simple_text", arguments: {} },
      }, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      assert.equal(response.status, 200);
      await response.text();
      // A tool the fixture does not define: measured as _OTHER, never by its name.
      const unknownTool = `not_defined_${"x".repeat(2000)}`;
      const refused = await rawPost(fixture.url, sessionId, {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: unknownTool, arguments: {} },
      });
      await refused.text();

      const traces = () => received.filter(({ path }) => path === "/v1/traces");
      const spans = () =>
        traces().flatMap(({ body }) =>
          body.resourceSpans.flatMap((resource) =>
            resource.scopeSpans.flatMap((scope) =>
              scope.spans.map((span) => ({ resource, scope, span }))
            )
          )
        );
      await until(
        () => spans().some(({ span }) => span.name === "tools/call test_simple_text"),
        "the tool call's span to be exported",
        20_000,
      );
      assert.ok(
        received.every(({ path }) => path === "/v1/traces" || path === "/v1/metrics"),
        `posted to /v1/traces and /v1/metrics: ${received.map(({ path }) => path).join(", ")}`,
      );
      assert.ok(received.every(({ type }) => type?.startsWith("application/json")), "as JSON");
      const found = spans().find(({ span }) => span.name === "tools/call test_simple_text")!;
      assert.equal(
        attribute(found.resource.resource.attributes, "service.name"),
        "tether-fixture-test",
      );
      assert.equal(found.scope.scope.name, "@tether/mcp");
      assert.equal(found.span.kind, 2, "SPAN_KIND_SERVER");
      assert.equal(found.span.traceId.toLowerCase(), traceId);
      assert.equal(found.span.parentSpanId?.toLowerCase(), "00f067aa0ba902b7");
      assert.equal(attribute(found.span.attributes, "mcp.method.name"), "tools/call");
      assert.equal(attribute(found.span.attributes, "mcp.session.id"), sessionId);
      assert.equal(attribute(found.span.attributes, "gen_ai.tool.name"), "test_simple_text");

      // The meter provider exports to /v1/metrics: the durations by tool, known names only.
      const toolsOf = () =>
        received.filter(({ path }) => path === "/v1/metrics").flatMap(({ body }) =>
          (body.resourceMetrics ?? []).flatMap((resource) =>
            resource.scopeMetrics.flatMap((scope) =>
              scope.metrics.filter((metric) => metric.name === "mcp.server.operation.duration")
                .flatMap((metric) => metric.histogram?.dataPoints ?? [])
                .map((point) => attribute(point.attributes, "gen_ai.tool.name"))
            )
          )
        );
      await until(
        () => toolsOf().includes("test_simple_text") && toolsOf().includes("_OTHER"),
        "the tool calls' durations to be exported",
        20_000,
      );
      assert.ok(!toolsOf().includes(unknownTool), "an undefined tool's name is not exported");
    } finally {
      await stopExamples();
      await collector.close();
    }
  });
});
