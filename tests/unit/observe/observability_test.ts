/**
 * The onEvent hook and the counters behind stats(): each event kind fires
 * with its fields (session expiry driven by an injected clock), a throwing
 * listener breaks nothing, nothing is built without a listener, and the
 * Prometheus example renders stats() in the text exposition format.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuthenticationError, defineTool, type HandlerStats, type McpEvent } from "../../../mod.ts";
import { Events } from "../../../src/observe/events.ts";
import { createMetricsServer, statsToPrometheus } from "../../../examples/prometheus.ts";
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
} from "../../helpers.ts";
import { modernRequest, modernRpc } from "../../support/modern_helpers.ts";

type EventOf<T extends McpEvent["type"]> = Extract<McpEvent, { type: T }>;

/** A listener that keeps every event, and a way to pick them by type. */
function recorder() {
  const seen: McpEvent[] = [];
  return {
    seen,
    listener: (event: McpEvent) => void seen.push(event),
    of: <T extends McpEvent["type"]>(type: T): EventOf<T>[] =>
      seen.filter((event) => event.type === type) as EventOf<T>[],
  };
}

describe("onEvent: sessions", () => {
  it("session-created, then session-ended for delete, idle and absolute expiry (injected clock)", async () => {
    const events = recorder();
    const clock = new TestClock();
    const handler = makeHandler({
      observe: {
        onEvent: events.listener,
      },
      now: clock.now,
      sessions: { idleTtlMs: 1_000, absoluteTtlMs: 3_000, sweepIntervalMs: 5 },
    });
    try {
      const idle = await initialize(handler);
      const absolute = await initialize(handler);
      const deleted = await initialize(handler);
      assert.deepEqual(
        events.of("session-created").map((e) => [e.sessionId, e.protocolVersion]),
        [idle.id, absolute.id, deleted.id].map((id) => [id, "2025-11-25"]),
      );

      await handler(bodilessRequest("DELETE", {
        sessionId: deleted.id,
        protocolVersion: deleted.protocolVersion,
      }));
      assert.deepEqual(events.of("session-ended").map((e) => [e.sessionId, e.reason]), [
        [deleted.id, "delete"],
      ]);

      // `absolute` is used every 900 ms and never idles out; `idle` is not used after creation.
      clock.advance(900);
      await rpc(handler, absolute, "ping");
      clock.advance(900); // idle's deadline (+1,000) has passed
      await rpc(handler, absolute, "ping");
      await until(
        () => events.of("session-ended").some((e) => e.sessionId === idle.id),
        "the sweep to end the idle session",
      );
      clock.advance(900);
      await rpc(handler, absolute, "ping"); // its deadline is now capped at creation + 3,000
      clock.advance(300);
      await until(
        () => events.of("session-ended").some((e) => e.sessionId === absolute.id),
        "the sweep to end the session at its absolute deadline",
      );
      assert.deepEqual(events.of("session-ended").map((e) => [e.sessionId, e.reason]), [
        [deleted.id, "delete"],
        [idle.id, "idle"],
        [absolute.id, "absolute"],
      ]);
      const stats = await handler.stats();
      assert.equal(stats.sessionsCreated, 3);
      assert.deepEqual(stats.sessionsEnded, { delete: 1, idle: 1, absolute: 1, close: 0, gone: 0 });
    } finally {
      await handler.close();
    }
  });

  it("close() ends the sessions it holds streams of, once each, as close", async () => {
    const events = recorder();
    const handler = makeHandler({
      observe: { onEvent: events.listener },
      streams: { heartbeatMs: 0 },
    });
    const listening = await initialize(handler);
    const quiet = await initialize(handler);
    const stream = await handler(bodilessRequest("GET", {
      sessionId: listening.id,
      protocolVersion: listening.protocolVersion,
    }));
    assert.equal(stream.status, 200);
    await handler.close({ graceMs: 1_000 });
    await stream.body?.cancel();
    assert.deepEqual(events.of("session-ended").map((e) => [e.sessionId, e.reason]), [
      [listening.id, "close"],
    ], "only sessions with something in this process end here; the quiet one's record just goes");
    assert.ok(!events.of("session-ended").some((e) => e.sessionId === quiet.id));
  });
});

describe("onEvent: requests and refusals", () => {
  it("request events carry method, era, status and duration in both eras", async () => {
    const events = recorder();
    const handler = makeHandler({ observe: { onEvent: events.listener }, tools: [] });
    try {
      const session = await initialize(handler);
      await rpc(handler, session, "tools/list");
      await modernRpc(handler, "tools/list");
      const [legacyList, modernList] = events.of("request").filter((e) =>
        e.method === "tools/list"
      );
      assert.deepEqual(
        [legacyList.era, legacyList.status, modernList.era, modernList.status],
        ["legacy", 200, "modern", 200],
      );
      assert.ok(legacyList.durationMs >= 0 && Number.isFinite(legacyList.durationMs));
      assert.equal(events.of("request")[0].method, "initialize");
      const notFound = await handler(new Request("http://127.0.0.1:8787/elsewhere"));
      await notFound.body?.cancel();
      const last = events.of("request").at(-1)!;
      assert.deepEqual([last.method, last.status, last.era], ["GET", 404, undefined]);
      assert.equal((await handler.stats()).requests, 4);
    } finally {
      await handler.close();
    }
  });

  it("refusal events name the guard or step that refused, with status, code and message", async () => {
    const events = recorder();
    const handler = makeHandler({
      observe: {
        onEvent: events.listener,
      },
      security: {
        requireHeader: "x-mcp-client",
      },
      sessions: { maxSessions: 1 },
      auth: {
        authenticate: (request) => {
          if (request.headers.get("authorization") === "Bearer bad") {
            throw new AuthenticationError("Invalid token");
          }
          return undefined;
        },
      },
    });
    const headers = { "x-mcp-client": "test" };
    const send = async (request: Request, status: number) => {
      const response = await handler(request);
      assert.equal(response.status, status, `expected ${status} for ${request.method}`);
      await response.body?.cancel();
    };
    try {
      await send(postRequest(initializeMessage()), 403); // no x-mcp-client
      await send(
        postRequest(initializeMessage(), { headers, url: "http://evil.example/mcp" }),
        403,
      );
      await send(
        postRequest(initializeMessage(), { headers: { ...headers, accept: "text/html" } }),
        406,
      );
      await send(
        postRequest(initializeMessage(), { headers: { ...headers, "content-type": "text/plain" } }),
        415,
      );
      await send(postRequest("{", { headers }), 400);
      await send(
        postRequest(initializeMessage(), { headers: { ...headers, authorization: "Bearer bad" } }),
        401,
      );
      await send(postRequest({ jsonrpc: "2.0", id: 5, method: "tools/list" }, { headers }), 400);
      await initialize(handler, { headers });
      await send(postRequest(initializeMessage(), { headers }), 503); // maxSessions: 1
      await send(new Request("http://127.0.0.1:8787/mcp", { method: "PUT", headers }), 405);
      await send(
        modernRequest("tools/list", {}, { headers: { ...headers, "mcp-method": "x" } }),
        400,
      );

      assert.deepEqual(events.of("refusal").map((e) => [e.step, e.status]), [
        ["require-header", 403],
        ["host-origin", 403],
        ["accept", 406],
        ["content-type", 415],
        ["json", 400],
        ["authenticate", 401],
        ["session", 400],
        ["session-cap", 503],
        ["method", 405],
        ["modern", 400],
      ]);
      const session = events.of("refusal").find((e) => e.step === "session")!;
      assert.equal(session.code, -32600);
      assert.match(session.message ?? "", /Mcp-Session-Id/);
      const auth = events.of("refusal").find((e) => e.step === "authenticate")!;
      assert.equal(auth.message, "Invalid token");
      const stats = await handler.stats();
      assert.equal(stats.refusals, 10);
      assert.equal(stats.refusalsByStep["session-cap"], 1);
      assert.equal(stats.refusalsByStep.accept, 1);
      assert.equal(stats.refusalsByStep.other, undefined, "every refusal names its step");
    } finally {
      await handler.close();
    }
  });
});

describe("onEvent: streams and client requests", () => {
  it("dropped streams (both eras) and client-request timeouts are reported", async () => {
    const events = recorder();
    const handler = makeHandler({
      observe: {
        onEvent: events.listener,
      },
      streams: {
        clientRequestTimeoutMs: 50,
        heartbeatMs: 0,
      },
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
      assert.deepEqual(events.of("client-request-timeout").map((e) => e.method), [
        "elicitation/create",
      ]);

      const stream = await handler(
        bodilessRequest("GET", { sessionId: session.id, protocolVersion: session.protocolVersion }),
      );
      await stream.body!.cancel();
      await until(() => events.of("stream-dropped").length === 1, "the legacy drop");
      const listen = await handler(
        modernRequest("subscriptions/listen", { notifications: { toolsListChanged: true } }),
      );
      assert.equal(listen.status, 200);
      await listen.body!.cancel();
      await until(() => events.of("stream-dropped").length === 2, "the modern drop");
      assert.deepEqual(events.of("stream-dropped").map((e) => [e.reason, e.era]), [
        ["client-gone", "legacy"],
        ["client-gone", "modern"],
      ]);
      const stats = await handler.stats();
      assert.equal(stats.clientRequestTimeouts, 1);
      assert.equal(stats.streamsDropped, 2);
    } finally {
      await handler.close();
    }
  });
});

describe("onEvent: listeners that fail, and no listener", () => {
  it("a throwing listener breaks no request; its error goes to onError", async () => {
    const errors: unknown[] = [];
    const handler = makeHandler({
      observe: {
        onEvent: () => {
          throw new Error("listener bug");
        },
        onError: (error) => errors.push(error),
      },
      tools: [],
    });
    try {
      const session = await initialize(handler);
      const list = await rpc(handler, session, "tools/list");
      assert.deepEqual(list.message.result.tools, []);
      await assertHttpError(
        await handler(postRequest({ jsonrpc: "2.0", id: 1, method: "x" })),
        400,
        {
          id: 1,
        },
      );
      assert.ok(errors.length >= 3, "each event's throw was reported");
      assert.ok(errors.every((error) => String(error).includes("listener bug")));
    } finally {
      await handler.close();
    }
  });

  it("without a listener no event object is built, and stats() still counts", async () => {
    const built: unknown[] = [];
    const quiet = new Events(undefined, () => {});
    quiet.emit = (event) => void built.push(event);
    quiet.sessionCreated("s", "2025-11-25");
    quiet.sessionEnded("s", "idle");
    quiet.refused("session", 404, -32600, "Session not found");
    quiet.streamDropped("overflow", "legacy");
    quiet.clientRequestTimedOut("roots/list", "session");
    assert.equal(built.length, 0, "no event was built");
    assert.deepEqual(
      [quiet.counters.sessionsCreated, quiet.counters.sessionsEnded.idle, quiet.counters.refusals],
      [1, 1, 1],
    );
    // Positive control: the same calls with a listener do build events.
    const loud = new Events(() => {}, () => {});
    loud.emit = (event) => void built.push(event);
    loud.sessionCreated("s", "2025-11-25");
    assert.equal(built.length, 1);

    const handler = makeHandler();
    try {
      await initialize(handler);
      const stats = await handler.stats();
      assert.equal(stats.sessionsCreated, 1);
      assert.equal(stats.requests, 1);
    } finally {
      await handler.close();
    }
  });
});

/** A HandlerStats with every field set, for the exposition format. */
const SAMPLE_STATS: HandlerStats = {
  sessions: 4,
  inFlight: 2,
  openStreams: 1,
  pendingClientRequests: 0,
  refusedAtSessionCap: 1,
  abandoned: 0,
  concurrentRequests: 2,
  maxConcurrentRequests: 64,
  sessionsCreated: 9,
  sessionsEnded: { delete: 1, idle: 2, absolute: 1, close: 0, gone: 1 },
  requests: 120,
  refusals: 3,
  refusalsByStep: { "rate-limit": 2, session: 1 },
  streamsDropped: 1,
  clientRequestTimeouts: 0,
};

/** Checks the Prometheus text exposition format (0.0.4) line by line; returns the samples by series. */
function parseExposition(text: string): Map<string, number> {
  assert.ok(text.endsWith("\n"), "the text ends with a newline");
  const samples = new Map<string, number>();
  const typed = new Map<string, string>();
  let family: string | undefined;
  for (const line of text.slice(0, -1).split("\n")) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$/.exec(line);
    if (help !== null) {
      family = help[1];
      continue;
    }
    if (type !== null) {
      assert.equal(type[1], family, `TYPE follows the HELP of ${type[1]}`);
      assert.ok(!typed.has(type[1]), `one TYPE line per metric: ${type[1]}`);
      typed.set(type[1], type[2]);
      if (type[2] === "counter") assert.match(type[1], /_total$/, "counters end in _total");
      continue;
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_]\w*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_]\w*="(?:[^"\\\n]|\\.)*")*\})? (-?\d+(?:\.\d+)?)$/
        .exec(line);
    assert.ok(sample !== null, `a well-formed sample: ${JSON.stringify(line)}`);
    assert.equal(sample[1], family, `sample ${line} belongs to the metric declared above it`);
    const series = sample[1] + (sample[2] ?? "");
    assert.ok(!samples.has(series), `no duplicate series: ${series}`);
    samples.set(series, Number(sample[3]));
  }
  return samples;
}

describe("the Prometheus example", () => {
  it("statsToPrometheus renders a stats object as well-formed text exposition", () => {
    const samples = parseExposition(statsToPrometheus(SAMPLE_STATS));
    assert.equal(samples.get("tether_sessions"), 4);
    assert.equal(samples.get("tether_max_concurrent_requests"), 64);
    assert.equal(samples.get("tether_requests_total"), 120);
    assert.equal(samples.get('tether_sessions_ended_total{reason="idle"}'), 2);
    assert.equal(samples.get('tether_sessions_ended_total{reason="gone"}'), 1);
    assert.equal(samples.get('tether_refusals_by_step_total{step="rate-limit"}'), 2);
    const withoutCap = parseExposition(
      statsToPrometheus({ ...SAMPLE_STATS, maxConcurrentRequests: undefined }),
    );
    assert.equal(
      withoutCap.has("tether_max_concurrent_requests"),
      false,
      "an unset cap is left out",
    );
  });

  it("serves /metrics beside /mcp, with request counts by era and status", async () => {
    const server = createMetricsServer();
    try {
      const init = await server(postRequest(initializeMessage()));
      await init.text();
      const metrics = await server(new Request("http://127.0.0.1:8787/metrics"));
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const samples = parseExposition(await metrics.text());
      assert.equal(samples.get("tether_sessions"), 1);
      assert.equal(samples.get("tether_sessions_created_total"), 1);
      assert.equal(
        samples.get('tether_requests_by_status_total{era="legacy",status="200"}'),
        1,
      );
    } finally {
      await server.close();
    }
  });
});
