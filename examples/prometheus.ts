/**
 * tether's `stats()` as Prometheus metrics: `GET /metrics` beside the MCP
 * endpoint `/mcp`, in the Prometheus text exposition format, plus an
 * `onEvent` listener counting requests by era and status.
 *
 * Run (any runtime):
 *   node_modules/.bin/deno run -A examples/prometheus.ts
 *   node_modules/.bin/bun examples/prometheus.ts
 *   node_modules/node24/bin/node examples/prometheus.ts
 * Then: curl http://127.0.0.1:8787/metrics
 * Environment: PORT (default 8787; 0 picks a free port).
 */

import { createMcpHandler, defineTool, type HandlerStats, type McpEvent } from "../mod.ts";
import { serveHandler } from "./serve.ts";

/** Counts of served requests by era and HTTP status, from `onEvent`. */
export class RequestCounter {
  /** `era status` → count. */
  readonly counts = new Map<string, number>();

  /** The `onEvent` listener. */
  readonly listener = (event: McpEvent): void => {
    if (event.type !== "request") return;
    const key = `${event.era} ${event.status}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  };
}

function line(name: string, value: number | undefined, labels = ""): string {
  return `${name}${labels === "" ? "" : `{${labels}}`} ${value ?? 0}`;
}

/**
 * `stats()` (and request counts) in the Prometheus text exposition format
 * (version 0.0.4): one HELP and TYPE line per metric, then its samples.
 */
export function statsToPrometheus(stats: HandlerStats, requests?: RequestCounter): string {
  const out: string[] = [];
  const metric = (name: string, type: "gauge" | "counter", help: string, samples: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
  };
  metric("tether_sessions", "gauge", "Sessions held by the store.", [
    line("tether_sessions", stats.sessions),
  ]);
  metric("tether_in_flight", "gauge", "Requests being handled.", [
    line("tether_in_flight", stats.inFlight),
  ]);
  metric("tether_open_streams", "gauge", "Open SSE connections.", [
    line("tether_open_streams", stats.openStreams),
  ]);
  metric("tether_pending_client_requests", "gauge", "Server-to-client requests awaiting a reply.", [
    line("tether_pending_client_requests", stats.pendingClientRequests),
  ]);
  metric("tether_sessions_created_total", "counter", "Sessions created.", [
    line("tether_sessions_created_total", stats.sessionsCreated),
  ]);
  metric(
    "tether_sessions_ended_total",
    "counter",
    "Sessions ended, by reason.",
    Object.entries(stats.sessionsEnded).map(([reason, n]) =>
      line("tether_sessions_ended_total", n, `reason="${reason}"`)
    ),
  );
  metric("tether_refusals_total", "counter", "Requests refused.", [
    line("tether_refusals_total", stats.refusals),
  ]);
  metric("tether_streams_dropped_total", "counter", "SSE connections dropped.", [
    line("tether_streams_dropped_total", stats.streamsDropped),
  ]);
  metric(
    "tether_client_request_timeouts_total",
    "counter",
    "Server-to-client requests without a reply in time.",
    [
      line("tether_client_request_timeouts_total", stats.clientRequestTimeouts),
    ],
  );
  metric("tether_abandoned_total", "counter", "Calls aborted because their client was gone.", [
    line("tether_abandoned_total", stats.abandoned),
  ]);
  if (requests !== undefined) {
    metric(
      "tether_requests_total",
      "counter",
      "Requests served, by era and HTTP status.",
      [...requests.counts].map(([key, n]) => {
        const [era, status] = key.split(" ");
        return line("tether_requests_total", n, `era="${era}",status="${status}"`);
      }),
    );
  }
  return out.join("\n") + "\n";
}

/** The MCP handler plus `/metrics`, as one fetch handler. */
export function createMetricsServer() {
  const requests = new RequestCounter();
  const mcp = createMcpHandler({
    name: "metrics-demo",
    version: "1.0.0",
    onEvent: requests.listener,
    tools: [defineTool({ name: "ping", description: "Answers pong", handler: () => "pong" })],
  });
  const fetch = async (request: Request): Promise<Response> => {
    if (new URL(request.url).pathname === "/metrics" && request.method === "GET") {
      return new Response(statsToPrometheus(await mcp.stats(), requests), {
        headers: { "content-type": "text/plain; version=0.0.4" },
      });
    }
    return mcp(request);
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
