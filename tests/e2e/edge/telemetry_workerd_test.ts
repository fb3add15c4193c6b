/**
 * tether's telemetry on workerd, with the OpenTelemetry SDK registered in a
 * Worker's Durable Object (tests/e2e/edge/telemetry_worker.ts, served by
 * scripts/workerd_fixture.sh without nodejs_compat), read back through its
 * `/__telemetry` route: names a client chooses (unknown methods, tools,
 * prompts, resource URIs, notifications; 64 KiB ones) become `_OTHER` and
 * leave the metric attribute sets unchanged, the server's own names appear
 * as themselves, every span name, attribute value, status and exception
 * message stays within 256 bytes (a stack trace 4 KiB);
 * a client notification is a SERVER span with its attributes and no request
 * id (both eras); the CLIENT span of `elicitation/create`, answered by the
 * official SDK client, carries the `jsonrpc.request.id` it was sent under.
 * The same assertions on Node, Deno and Bun: tests/unit/observe/telemetry/.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Attributes } from "@opentelemetry/api";
import {
  connectClient,
  ElicitRequestSchema,
  rawInitialize,
  rawPost,
  textOf,
} from "../interop/helpers.ts";
import { modernNotification, modernRequest } from "../../support/modern_helpers.ts";
import { startWorkerdFixture, type WorkerdFixture, workerdSkip } from "./workerd_fixture.ts";

const MAX_BYTES = 256;
const MAX_STACK_BYTES = 4096;
/** A name far past the bounds, yet well within the handler's body limit. */
const HUGE = 64 * 1024;
const SERVER = 1; // SpanKind.SERVER
const CLIENT = 2; // SpanKind.CLIENT

const bytesOf = (value: string) => new TextEncoder().encode(value).length;

/** A span as the Worker's `/__telemetry` route reports it. */
interface SpanJson {
  name: string;
  kind: number;
  spanId: string;
  parentSpanId?: string;
  attributes: Attributes;
  events: { name: string; attributes: Attributes }[];
  status: { code: number; message?: string };
}

/** Everything the Worker's SDK collected so far. */
interface Collected {
  spans: SpanJson[];
  metrics: Record<string, Attributes[]>;
}

describe("workerd: telemetry with the OpenTelemetry SDK in a Durable Object", {
  skip: workerdSkip,
}, () => {
  let fixture: WorkerdFixture;
  before(async () => {
    fixture = await startWorkerdFixture("durable-object", {
      WORKER_ENTRY: "tests/e2e/edge/telemetry_worker.ts",
    });
  });
  after(() => fixture?.stop());

  /** The Worker's spans and metric points, now. */
  async function collected(): Promise<Collected> {
    const response = await fetch(fixture.url.replace(/\/mcp$/, "/__telemetry"));
    assert.equal(response.status, 200, fixture.output());
    const body = await response.json() as Collected & { errors: string[] };
    assert.deepEqual(body.errors, []);
    return body;
  }

  /** A 2025 session's request `method`; the response drained. */
  async function send(
    sessionId: string,
    method: string,
    params?: Record<string, unknown>,
  ): Promise<number> {
    const response = await rawPost(fixture.url, sessionId, {
      jsonrpc: "2.0",
      id: 1,
      method,
      params,
    });
    await response.body?.cancel();
    return response.status;
  }

  /** A request built for the in-process handler (tests/support/modern_helpers.ts), sent to the fixture. */
  async function forward(request: Request): Promise<number> {
    const response = await fetch(fixture.url, {
      method: "POST",
      headers: request.headers,
      body: await request.text(),
    });
    await response.body?.cancel();
    return response.status;
  }

  /** One request of each kind a client names freely, every name new (`tag`), `unit` repeated to `HUGE` bytes. */
  async function flood(sessionId: string, tag: string, unit: string): Promise<void> {
    const name = tag + unit.repeat(HUGE / bytesOf(unit));
    await send(sessionId, `x/unknown-${name}`);
    await send(sessionId, "tools/call", { name: `missing-${name}`, arguments: {} });
    await send(sessionId, "prompts/get", { name: `missing-${name}` });
    await send(sessionId, "prompts/get", { name: "greet", arguments: { who: name } });
    await send(sessionId, "resources/read", { uri: `test://missing/${name}` });
    await send(sessionId, "resources/read", { uri: `test://items/${name}` });
  }

  /** Every metric's distinct attribute sets, as one set of strings. */
  function attributeSets({ metrics }: Collected): Set<string> {
    const sets = new Set<string>();
    for (const [name, points] of Object.entries(metrics)) {
      for (const attributes of points) {
        const sorted = Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
        sets.add(`${name} ${JSON.stringify(sorted)}`);
      }
    }
    return sets;
  }

  /** Fails naming the first string value longer than the bound. */
  function assertBounded(where: string, attributes: Attributes): void {
    for (const [key, value] of Object.entries(attributes)) {
      if (typeof value !== "string") continue;
      const limit = key === "exception.stacktrace" ? MAX_STACK_BYTES : MAX_BYTES;
      assert.ok(bytesOf(value) <= limit, `${where}: ${key} is ${bytesOf(value)} bytes`);
    }
  }

  /** True when some point of `metric` has every attribute of `match`. */
  function hasPoint({ metrics }: Collected, metric: string, match: Attributes): boolean {
    return (metrics[metric] ?? []).some((attributes) =>
      Object.entries(match).every(([key, value]) => attributes[key] === value)
    );
  }

  it("unknown names are _OTHER, known ones themselves, the attribute sets do not grow, every value bounded", async () => {
    const sessionId = await rawInitialize(fixture.url);
    // Positive control: the server's own names.
    assert.equal(await send(sessionId, "tools/list"), 200);
    assert.equal(await send(sessionId, "tools/call", { name: "echo", arguments: {} }), 200);
    assert.equal(await send(sessionId, "prompts/get", { name: "greet" }), 200);
    assert.equal(await send(sessionId, "resources/read", { uri: "test://fixed" }), 200);
    assert.equal(await send(sessionId, "resources/read", { uri: "test://items/42" }), 200);
    await flood(sessionId, "a", "y");
    const first = await collected();
    // New names of every kind, ASCII and four-byte characters: no new attribute set.
    await flood(sessionId, "b", "z");
    await flood(sessionId, "c", "\u{1F600}");
    // 2026-07-28: the names travel in the routing headers too (ASCII only there).
    const modernName = `missing-d${"w".repeat(HUGE)}`;
    assert.equal(
      await forward(modernRequest("tools/call", { name: modernName, arguments: {} })),
      200,
    );
    assert.equal(await forward(modernRequest("prompts/get", { name: modernName })), 200);
    assert.equal(await forward(modernRequest("tools/call", { name: "echo", arguments: {} })), 200);
    const all = await collected();
    const before2026 = [...attributeSets(all)].filter((set) => !set.includes("2026-07-28"));
    assert.deepEqual(new Set(before2026), attributeSets(first));

    const duration = "mcp.server.operation.duration";
    for (const version of ["2025-11-25", "2026-07-28"]) {
      const era = { "mcp.protocol.version": version };
      assert.ok(hasPoint(all, duration, { ...era, "gen_ai.tool.name": "echo" }), version);
      assert.ok(hasPoint(all, duration, { ...era, "gen_ai.tool.name": "_OTHER" }), version);
      assert.ok(hasPoint(all, duration, { ...era, "gen_ai.prompt.name": "_OTHER" }), version);
    }
    const era = { "mcp.protocol.version": "2025-11-25" };
    assert.ok(hasPoint(all, duration, { ...era, "gen_ai.prompt.name": "greet" }));
    assert.ok(hasPoint(all, duration, { ...era, "mcp.resource.uri": "test://fixed" }));
    assert.ok(hasPoint(all, duration, { ...era, "mcp.resource.uri": "test://items/{id}" }));
    assert.ok(hasPoint(all, duration, { ...era, "mcp.resource.uri": "_OTHER" }));
    assert.ok(hasPoint(all, duration, { ...era, "mcp.method.name": "tools/list" }));
    assert.ok(hasPoint(all, duration, { ...era, "mcp.method.name": "_OTHER" }));
    assert.ok(hasPoint(all, "tether.server.active_requests", { "mcp.method.name": "_OTHER" }));
    // No name the client chose reaches a metric.
    for (const set of attributeSets(all)) {
      assert.doesNotMatch(set, /missing|unknown|test:\/\/items\/[^{]/, set);
    }

    const names = new Set(all.spans.map((span) => span.name));
    for (
      const name of [
        "tools/list",
        "tools/call echo",
        "prompts/get greet",
        "resources/read",
        "tools/call _OTHER",
        "prompts/get _OTHER",
        "_OTHER",
      ]
    ) {
      assert.ok(names.has(name), `no span "${name}" among ${[...names].join(", ")}`);
    }
    for (const name of names) assert.doesNotMatch(name, /missing|unknown/);
    // The span of a read through the template names the URI read, bounded.
    const reads = all.spans.filter((span) =>
      span.name === "resources/read" &&
      String(span.attributes["mcp.resource.uri"]).startsWith("test://items/")
    );
    assert.ok(reads.some((span) => span.attributes["mcp.resource.uri"] === "test://items/42"));
    assert.ok(reads.some((span) => bytesOf(String(span.attributes["mcp.resource.uri"])) > 200));

    // The prompt fails repeating the client's input: its run span records the exception, cut.
    const thrown = all.spans.flatMap((span) =>
      span.name === "get_prompt greet"
        ? span.events.filter((event) => event.name === "exception").map((event) => event.attributes)
        : []
    );
    assert.equal(thrown.length, 3, "one exception per greeting of a huge name");
    for (const attributes of thrown) {
      const message = String(attributes["exception.message"]);
      assert.ok(message.startsWith("cannot greet "), message);
      assert.ok(bytesOf(message) > 200, `exception.message of ${bytesOf(message)} bytes`);
    }

    for (const [name, points] of Object.entries(all.metrics)) {
      for (const attributes of points) assertBounded(`metric ${name}`, attributes);
    }
    for (const span of all.spans) {
      assert.ok(bytesOf(span.name) <= MAX_BYTES, `span name of ${bytesOf(span.name)} bytes`);
      assertBounded(`span ${span.name}`, span.attributes);
      for (const event of span.events) assertBounded(`event ${event.name}`, event.attributes);
      const message = span.status.message ?? "";
      assert.ok(bytesOf(message) <= MAX_BYTES, `status message of ${bytesOf(message)} bytes`);
    }
  });

  it("a client notification is a SERVER span named by its method, with its attributes and no request id", async () => {
    const sessionId = await rawInitialize(fixture.url); // sends notifications/initialized
    // A remote caller's span: each notification's span is its child (the W3C propagator).
    const callerSpanId = "e5".repeat(8);
    const traceparent = `00-${"e5".repeat(16)}-${callerSpanId}-01`;
    const notify = async (method: string, params?: Record<string, unknown>) => {
      const response = await rawPost(fixture.url, sessionId, { jsonrpc: "2.0", method, params }, {
        headers: { traceparent },
      });
      await response.body?.cancel();
      assert.equal(response.status, 202, method);
    };
    await notify("notifications/initialized");
    await notify("notifications/cancelled", { requestId: 99, reason: "changed my mind" });
    await notify("notifications/roots/list_changed");
    await notify(`notifications/${"x".repeat(HUGE)}`);
    await notify("notifications/made_up");
    const { spans } = await collected();
    const ours = spans.filter((span) => span.attributes["mcp.session.id"] === sessionId);
    for (
      const method of [
        "notifications/initialized",
        "notifications/cancelled",
        "notifications/roots/list_changed",
      ]
    ) {
      const found = ours.filter((span) =>
        span.name === method && span.parentSpanId === callerSpanId
      );
      assert.equal(found.length, 1, method);
      assert.equal(found[0].kind, SERVER, method);
      assert.deepEqual(found[0].attributes, {
        "mcp.method.name": method,
        "mcp.protocol.version": "2025-11-25",
        "mcp.session.id": sessionId,
        "network.transport": "tcp",
        "network.protocol.name": "http",
      }, method);
      assert.equal(found[0].status.code, 0, method); // UNSET
    }
    const others = ours.filter((span) => span.name === "_OTHER");
    assert.equal(others.length, 2);
    for (const span of others) {
      assert.equal(span.kind, SERVER);
      assert.equal(span.parentSpanId, callerSpanId);
      assert.equal(span.attributes["mcp.method.name"], "_OTHER");
      assert.equal(span.attributes["jsonrpc.request.id"], undefined);
    }

    // 2026-07-28: no session, the era's version.
    assert.equal(
      await forward(modernNotification("notifications/cancelled", { requestId: "r-1" })),
      202,
    );
    const modern = (await collected()).spans.filter((span) =>
      span.name === "notifications/cancelled" &&
      span.attributes["mcp.protocol.version"] === "2026-07-28"
    );
    assert.equal(modern.length, 1);
    assert.equal(modern[0].kind, SERVER);
    assert.deepEqual(modern[0].attributes, {
      "mcp.method.name": "notifications/cancelled",
      "mcp.protocol.version": "2026-07-28",
      "network.transport": "tcp",
      "network.protocol.name": "http",
    });
  });

  it("the CLIENT span of elicitation/create carries the jsonrpc.request.id the SDK client answered", async () => {
    const answered: string[] = [];
    const connection = await connectClient(fixture.url, {
      capabilities: { elicitation: {} },
      setup: (client) =>
        client.setRequestHandler(ElicitRequestSchema, (_request, extra) => {
          answered.push(String(extra.requestId));
          return { action: "accept", content: { name: "ada" } };
        }),
    });
    try {
      const result = await connection.client.callTool({ name: "ask", arguments: {} });
      assert.match(textOf(result), /ada/);
      assert.equal(answered.length, 1);
      const { spans } = await collected();
      const asked = spans.filter((span) =>
        span.name === "elicitation/create" &&
        span.attributes["mcp.session.id"] === connection.sessionId
      );
      assert.equal(asked.length, 1);
      assert.equal(asked[0].kind, CLIENT);
      assert.equal(asked[0].attributes["jsonrpc.request.id"], answered[0]);
      assert.equal(asked[0].attributes["mcp.method.name"], "elicitation/create");
      assert.equal(asked[0].attributes["mcp.protocol.version"], "2025-11-25");
      // A child of the tool's run span, itself the tool call's child, though no context manager
      // follows the awaits (as on Node: tests/unit/observe/telemetry/tracing_test.ts).
      const call = spans.filter((span) =>
        span.name === "tools/call ask" && span.kind === SERVER &&
        span.attributes["mcp.session.id"] === connection.sessionId
      );
      assert.equal(call.length, 1);
      const run = spans.filter((span) =>
        span.name === "execute_tool ask" && span.parentSpanId === call[0].spanId
      );
      assert.equal(run.length, 1);
      assert.equal(asked[0].parentSpanId, run[0].spanId);
      await connection.transport.terminateSession();
    } finally {
      await connection.close();
    }
  });
});
