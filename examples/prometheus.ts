/**
 * tether's `stats()` as Prometheus metrics: `GET /metrics` beside the MCP
 * endpoint `/mcp`, in the Prometheus text exposition format (0.0.4), plus an
 * `onEvent` listener counting requests by era and HTTP status.
 *
 * Run (any runtime):
 *   node_modules/.bin/deno run -A examples/prometheus.ts
 *   node_modules/.bin/bun examples/prometheus.ts
 *   node_modules/node24/bin/node examples/prometheus.ts
 * Then: curl http://127.0.0.1:8787/metrics
 * Environment: PORT (default 8787; 0 picks a free port).
 *
 * The counters are this process's since it started: scrape every instance.
 */

import { createMcpHandler, defineTool, type HandlerStats, type McpEvent } from "../mod.ts";
import { serveHandler } from "./serve.ts";

/** Counts of answered requests by era and HTTP status, from `onEvent`. */
export class RequestCounter {
  /** `era status` → count (era `none`: refused before its era was known). */
  readonly counts = new Map<string, number>();

  /** The `onEvent` listener. */
  readonly listener = (event: McpEvent): void => {
    if (event.type !== "request") return;
    const key = `${event.era ?? "none"} ${event.status}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  };
}

/** A label value as the exposition format wants it: backslash, quote and newline escaped. */
function labelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** One sample line: `name{label="value",...} value`. */
function sample(name: string, value: number, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels).map(([key, text]) => `${key}="${labelValue(text)}"`);
  return `${name}${pairs.length === 0 ? "" : `{${pairs.join(",")}}`} ${value}`;
}

/**
 * `stats()` (and, when given, request counts) in the Prometheus text
 * exposition format: for each metric a HELP and a TYPE line, then its
 * samples; counters end in `_total`.
 */
export function statsToPrometheus(stats: HandlerStats, requests?: RequestCounter): string {
  const out: string[] = [];
  const metric = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    samples: string[],
  ): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
  };
  const gauge = (name: string, help: string, value: number) =>
    metric(name, "gauge", help, [sample(name, value)]);
  const counter = (name: string, help: string, value: number) =>
    metric(name, "counter", help, [sample(name, value)]);

  gauge("tether_sessions", "Sessions held by the store.", stats.sessions);
  gauge("tether_in_flight", "Requests being handled.", stats.inFlight);
  gauge("tether_open_streams", "Open SSE connections.", stats.openStreams);
  gauge(
    "tether_pending_client_requests",
    "Server-to-client requests awaiting a reply.",
    stats.pendingClientRequests,
  );
  gauge(
    "tether_concurrent_requests",
    "Requests counted against maxConcurrentRequests.",
    stats.concurrentRequests,
  );
  if (stats.maxConcurrentRequests !== undefined) {
    gauge(
      "tether_max_concurrent_requests",
      "The maxConcurrentRequests cap.",
      stats.maxConcurrentRequests,
    );
  }
  counter("tether_requests_total", "HTTP requests answered.", stats.requests);
  counter("tether_sessions_created_total", "Sessions created.", stats.sessionsCreated);
  metric(
    "tether_sessions_ended_total",
    "counter",
    "Sessions ended, by reason.",
    Object.entries(stats.sessionsEnded).map(([reason, n]) =>
      sample("tether_sessions_ended_total", n, { reason })
    ),
  );
  counter("tether_refusals_total", "Requests refused by a guard or step.", stats.refusals);
  metric(
    "tether_refusals_by_step_total",
    "counter",
    "Requests refused, by the step that refused them.",
    Object.entries(stats.refusalsByStep).map(([step, n]) =>
      sample("tether_refusals_by_step_total", n ?? 0, { step })
    ),
  );
  counter(
    "tether_refused_at_session_cap_total",
    "Requests refused at sessions.maxRequestsPerSession.",
    stats.refusedAtSessionCap,
  );
  counter("tether_streams_dropped_total", "SSE connections dropped.", stats.streamsDropped);
  counter(
    "tether_client_request_timeouts_total",
    "Server-to-client requests without a reply in time.",
    stats.clientRequestTimeouts,
  );
  counter(
    "tether_abandoned_total",
    "Calls aborted because their client was gone.",
    stats.abandoned,
  );
  if (requests !== undefined) {
    metric(
      "tether_requests_by_status_total",
      "counter",
      "HTTP requests answered, by era and status.",
      [...requests.counts].map(([key, n]) => {
        const [era, status] = key.split(" ");
        return sample("tether_requests_by_status_total", n, { era, status });
      }),
    );
  }
  return out.join("\n") + "\n";
}

/** The MCP handler plus `GET /metrics`, as one fetch handler with `close`. */
export function createMetricsServer(): ((request: Request) => Promise<Response>) & {
  close: () => Promise<void>;
} {
  const requests = new RequestCounter();
  const mcp = createMcpHandler({
    name: "metrics-demo",
    version: "1.0.0",
    observe: {
      onEvent: requests.listener,
    },
    tools: [defineTool({ name: "ping", description: "Answers pong", handler: () => "pong" })],
  });
  const fetch = async (request: Request): Promise<Response> => {
    if (request.method === "GET" && new URL(request.url).pathname === "/metrics") {
      return new Response(statsToPrometheus(await mcp.stats(), requests), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    return await mcp(request);
  };
  return Object.assign(fetch, { close: () => mcp.close() });
}

if (
  (import.meta as { main?: boolean }).main ||
  (globalThis as { process?: { argv: string[] } }).process?.argv?.[1]?.endsWith("prometheus.ts")
) {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const server = await serveHandler(createMetricsServer(), Number(env.PORT ?? 8787));
  console.log(`MCP on ${server.url}/mcp, metrics on ${server.url}/metrics`);
}
