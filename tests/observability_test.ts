/**
 * The onEvent hook and the counters behind stats(): each event kind fires
 * with its fields, a throwing listener breaks nothing, and the Prometheus
 * example renders stats() in the text exposition format.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool, type McpEvent } from "../mod.ts";
import { createMetricsServer, statsToPrometheus } from "../examples/prometheus.ts";
import {
  assertHttpError,
  bodilessRequest,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  rpc,
  TestClock,
  until,
} from "./helpers.ts";

describe("onEvent", () => {
  it("sessions created and ended (delete, expired), requests served, refusals", async () => {
    const seen: McpEvent[] = [];
    const clock = new TestClock();
    const handler = makeHandler({
      onEvent: (event) => void seen.push(event),
      now: clock.now,
      sessions: { idleTtlMs: 1_000 },
      tools: [],
    });
    try {
      const kept = await initialize(handler);
      const deleted = await initialize(handler);
      assert.deepEqual(
        seen.filter((e) => e.type === "session-created").map((e) =>
          (e as { sessionId: string }).sessionId
        ),
        [kept.id, deleted.id],
      );
      await rpc(handler, kept, "tools/list");
      const request = seen.find((e) =>
        e.type === "request" && e.method === "tools/list"
      ) as Extract<McpEvent, { type: "request" }>;
      assert.equal(request.era, "legacy");
      assert.equal(request.status, 200);
      assert.ok(request.durationMs >= 0);
      await handler(
        bodilessRequest("DELETE", {
          sessionId: deleted.id,
          protocolVersion: deleted.protocolVersion,
        }),
      );
      assert.ok(
        seen.some((e) =>
          e.type === "session-ended" && e.sessionId === deleted.id && e.reason === "delete"
        ),
      );
      await assertHttpError(
        await handler(postRequest({ jsonrpc: "2.0", id: 5, method: "tools/list" })),
        400,
        { id: 5 },
      );
      const refusal = seen.find((e) => e.type === "refusal") as Extract<
        McpEvent,
        { type: "refusal" }
      >;
      assert.equal(refusal.status, 400);
      assert.match(refusal.message, /Mcp-Session-Id/);
      const stats = await handler.stats();
      assert.equal(stats.sessionsCreated, 2);
      assert.equal(stats.sessionsEnded.delete, 1);
      assert.ok(stats.refusals >= 1);
    } finally {
      await handler.close();
    }
  });

  it("expiry is reported as expired when the sweep removes a session", async () => {
    const seen: McpEvent[] = [];
    const clock = new TestClock();
    const handler = makeHandler({
      onEvent: (event) => void seen.push(event),
      now: clock.now,
      sessions: { idleTtlMs: 1_000, maxSessions: 1 },
    });
    try {
      const old = await initialize(handler);
      clock.advance(2_000);
      // A full store sweeps before refusing: the expired session is removed and reported.
      await initialize(handler);
      assert.ok(
        seen.some((e) =>
          e.type === "session-ended" && e.sessionId === old.id && e.reason === "expired"
        ),
      );
      assert.equal((await handler.stats()).sessionsEnded.expired, 1);
    } finally {
      await handler.close();
    }
  });

  it("dropped streams and client-request timeouts are reported", async () => {
    const seen: McpEvent[] = [];
    const handler = makeHandler({
      onEvent: (event) => void seen.push(event),
      clientRequestTimeoutMs: 50,
      heartbeatMs: 0,
      tools: [defineTool({
        name: "ask",
        handler: async (_input, ctx) => {
          try {
            await ctx.elicit({ message: "?", requestedSchema: { type: "object", properties: {} } });
            return "answered";
          } catch {
            return "timed out";
          }
        },
      })],
    });
    try {
      const session = await initialize(handler, { capabilities: { elicitation: {} } });
      const answer = await rpc(handler, session, "tools/call", { name: "ask" });
      assert.equal(answer.messages.at(-1).result.content[0].text, "timed out");
      assert.ok(
        seen.some((e) => e.type === "client-request-timeout" && e.method === "elicitation/create"),
      );
      const stream = await handler(
        bodilessRequest("GET", { sessionId: session.id, protocolVersion: session.protocolVersion }),
      );
      await stream.body!.cancel();
      await until(
        () => seen.some((e) => e.type === "stream-dropped" && e.reason === "client-gone"),
        "the drop to be reported",
      );
      const stats = await handler.stats();
      assert.equal(stats.clientRequestTimeouts, 1);
      assert.equal(stats.streamsDropped, 1);
    } finally {
      await handler.close();
    }
  });

  it("a throwing listener breaks no request and goes to onError; without a listener the counters still count", async () => {
    const errors: unknown[] = [];
    const handler = makeHandler({
      onEvent: () => {
        throw new Error("listener bug");
      },
      onError: (error) => errors.push(error),
    });
    try {
      const response = await handler(postRequest(initializeMessage()));
      assert.equal(response.status, 200);
      await response.text();
      assert.ok(errors.some((error) => String(error).includes("listener bug")));
    } finally {
      await handler.close();
    }
    const quiet = makeHandler();
    try {
      await initialize(quiet);
      assert.equal((await quiet.stats()).sessionsCreated, 1);
    } finally {
      await quiet.close();
    }
  });
});

describe("the Prometheus example", () => {
  it("renders stats() and request counts in the text exposition format", async () => {
    const server = createMetricsServer();
    try {
      const init = await server(postRequest(initializeMessage()));
      await init.text();
      const metrics = await server(new Request("http://127.0.0.1:8787/metrics"));
      assert.match(metrics.headers.get("content-type") ?? "", /text\/plain/);
      const text = await metrics.text();
      assert.match(text, /^# HELP tether_sessions /m);
      assert.match(text, /^# TYPE tether_sessions gauge$/m);
      assert.match(text, /^tether_sessions 1$/m);
      assert.match(text, /^tether_requests_total\{era="legacy",status="200"\} 1$/m);
      for (const sample of text.trim().split("\n").filter((l) => !l.startsWith("#"))) {
        assert.match(
          sample,
          /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? \d+$/,
          `sample ${sample}`,
        );
      }
      const sample = statsToPrometheus({
        sessions: 0,
        inFlight: 0,
        openStreams: 0,
        pendingClientRequests: 0,
        refusedAtSessionCap: 0,
        abandoned: 0,
        concurrentRequests: 0,
        maxConcurrentRequests: undefined,
        sessionsCreated: 3,
        sessionsEnded: { delete: 1, expired: 2, close: 0 },
        refusals: 0,
        streamsDropped: 0,
        clientRequestTimeouts: 0,
      });
      assert.match(sample, /^tether_sessions_ended_total\{reason="expired"\} 2$/m);
    } finally {
      await server.close();
    }
  });
});
