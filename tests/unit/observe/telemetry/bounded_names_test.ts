/**
 * A hostile client cannot grow telemetry: with a real meter provider and
 * tracer provider registered, floods of unknown methods, tool names, prompt
 * names and resource URIs (and 1 MB ones) leave the number of distinct
 * metric attribute sets unchanged, every span name and attribute value
 * within 256 bytes (stack traces 4 KiB), and unknown names recorded as
 * `_OTHER`; the server's own names still appear as themselves. Both eras.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Attributes, AttributeValue } from "@opentelemetry/api";
import {
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
  type McpHandler,
} from "../../../../mod.ts";
import { initialize, makeHandler, rpc, type TestSession } from "../../../helpers.ts";
import { modernRpc } from "../../../support/modern_helpers.ts";
import { exporter, metricPoints, registerSdk, unregisterSdk } from "./otel_sdk.ts";

before(registerSdk);
after(unregisterSdk);
afterEach(() => exporter.reset());

const MAX_BYTES = 256;
const MAX_STACK_BYTES = 4096;
const MEGABYTE = 1024 * 1024;

const bytesOf = (value: string) => new TextEncoder().encode(value).length;

const echo = defineTool({
  name: "echo",
  handler: ({ text }: { text?: string }) => {
    // A handler error that repeats the client's input (recorded on the span, bounded).
    if (text !== undefined && text.length > 1000) throw new Error(`cannot echo ${text}`);
    return text ?? "";
  },
});

function makeServer(): McpHandler {
  return makeHandler({
    tools: [echo],
    prompts: [definePrompt({ name: "greet", handler: () => "hello" })],
    resources: [defineResource({ uri: "test://fixed", name: "fixed", read: () => "fixed" })],
    resourceTemplates: [
      defineResourceTemplate({
        uriTemplate: "test://items/{id}",
        name: "item",
        read: (_uri, { id }) => `item ${id}`,
      }),
    ],
    // An extension's method is a name the server knows too.
    extensions: [{ id: "com.example/shout", methods: { "shout/say": { handle: () => ({}) } } }],
  });
}

/** One request of each kind a client can name freely, every name new (`tag` makes them distinct). */
async function flood(
  send: Send,
  tag: string,
  count: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const name = `${tag}-${i}`;
    await send(`x/unknown-${name}`);
    await send("tools/call", { name: `missing-${name}`, arguments: {} });
    await send("prompts/get", { name: `missing-${name}` });
    await send("resources/read", { uri: `test://missing/${name}` });
    await send("resources/read", { uri: `test://items/${name}` });
  }
}

/**
 * Huge names of every kind (a 1 MB string each), of each of `units` (the
 * 2026-07-28 routing headers carry names, so ASCII only there).
 */
async function floodHuge(send: Send, tag: string, units: string[]): Promise<void> {
  for (const unit of units) {
    const huge = tag + unit.repeat(MEGABYTE / bytesOf(unit));
    await send(huge);
    await send("tools/call", { name: huge, arguments: {} });
    await send("tools/call", { name: "echo", arguments: { text: huge } });
    await send("prompts/get", { name: huge });
    await send("resources/read", { uri: `test://items/${huge}` });
  }
}

/** The distinct attribute sets of every metric, as one set of strings. */
async function attributeSets(): Promise<Set<string>> {
  const sets = new Set<string>();
  for (const [name, points] of await metricPoints()) {
    for (const attributes of points) {
      sets.add(`${name} ${JSON.stringify(sortedEntries(attributes))}`);
    }
  }
  return sets;
}

function sortedEntries(attributes: Attributes): [string, AttributeValue | undefined][] {
  return Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
}

/** Fails naming the first value longer than `max` bytes. */
function assertBounded(where: string, attributes: Attributes, max = MAX_BYTES): void {
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value !== "string") continue;
    const limit = key === "exception.stacktrace" ? MAX_STACK_BYTES : max;
    assert.ok(bytesOf(value) <= limit, `${where}: ${key} is ${bytesOf(value)} bytes`);
  }
}

/** Every metric point and finished span within the bounds. */
async function assertAllBounded(): Promise<void> {
  for (const [name, points] of await metricPoints()) {
    for (const attributes of points) assertBounded(`metric ${name}`, attributes);
  }
  for (const span of exporter.getFinishedSpans()) {
    assert.ok(bytesOf(span.name) <= MAX_BYTES, `span name of ${bytesOf(span.name)} bytes`);
    assertBounded(`span ${span.name}`, span.attributes);
    for (const event of span.events) {
      assertBounded(`event ${event.name}`, event.attributes ?? {});
    }
    const message = span.status.message ?? "";
    assert.ok(bytesOf(message) <= MAX_BYTES, `status message of ${bytesOf(message)} bytes`);
  }
}

/** True when some point of `metric` has every attribute of `match`. */
async function hasPoint(metric: string, match: Attributes): Promise<boolean> {
  const points = (await metricPoints()).get(metric) ?? [];
  return points.some((attributes) =>
    Object.entries(match).every(([key, value]) => attributes[key] === value)
  );
}

function spanNames(): Set<string> {
  return new Set(exporter.getFinishedSpans().map((span) => span.name));
}

/**
 * The known names as themselves and the unknown ones as `_OTHER`, in metrics
 * and span names. `unknownMethods`: whether requests of unknown methods reach
 * the telemetry (2026-07-28 refuses them at the door, untraced).
 */
async function assertNamed(protocolVersion: string, unknownMethods: boolean): Promise<void> {
  const duration = "mcp.server.operation.duration";
  const era = { "mcp.protocol.version": protocolVersion };
  // Positive control: the server's own names.
  assert.ok(await hasPoint(duration, { ...era, "gen_ai.tool.name": "echo" }));
  assert.ok(await hasPoint(duration, { ...era, "gen_ai.prompt.name": "greet" }));
  assert.ok(await hasPoint(duration, { ...era, "mcp.resource.uri": "test://fixed" }));
  assert.ok(await hasPoint(duration, { ...era, "mcp.resource.uri": "test://items/{id}" }));
  assert.ok(await hasPoint(duration, { ...era, "mcp.method.name": "tools/list" }));
  assert.ok(await hasPoint(duration, { ...era, "mcp.method.name": "shout/say" }));
  // What a client named freely.
  assert.ok(await hasPoint(duration, { ...era, "gen_ai.tool.name": "_OTHER" }));
  assert.ok(await hasPoint(duration, { ...era, "gen_ai.prompt.name": "_OTHER" }));
  assert.ok(await hasPoint(duration, { ...era, "mcp.resource.uri": "_OTHER" }));
  if (unknownMethods) {
    assert.ok(await hasPoint(duration, { ...era, "mcp.method.name": "_OTHER" }));
    assert.ok(
      await hasPoint("tether.server.active_requests", { "mcp.method.name": "_OTHER" }),
    );
    assert.ok(spanNames().has("_OTHER"));
  }
  const names = spanNames();
  const own = ["tools/call echo", "prompts/get greet", "tools/list", "resources/read", "shout/say"];
  for (const name of own) {
    assert.ok(names.has(name), `no span "${name}" among ${[...names].join(", ")}`);
  }
  for (const name of ["tools/call _OTHER", "prompts/get _OTHER"]) {
    assert.ok(names.has(name), `no span "${name}" among ${[...names].join(", ")}`);
  }
  // The span of a read through a template carries the concrete URI (the metric, the template).
  const read = exporter.getFinishedSpans().find((span) =>
    span.name === "resources/read" && span.attributes["mcp.resource.uri"] === "test://items/42"
  );
  assert.ok(read !== undefined, "the read span names the URI read");
}

/** Known requests of every kind (the positive control). */
async function known(send: Send): Promise<void> {
  await send("tools/list");
  await send("shout/say");
  await send("tools/call", { name: "echo", arguments: { text: "hi" } });
  await send("prompts/get", { name: "greet" });
  await send("resources/read", { uri: "test://fixed" });
  await send("resources/read", { uri: "test://items/42" });
}

type Send = (method: string, params?: Record<string, unknown>, id?: string) => Promise<unknown>;

/** How each era's requests are sent, and what reaches its telemetry. */
interface Era {
  name: string;
  protocolVersion: string;
  open(handler: McpHandler): Promise<Send>;
  /** Requests of unknown methods reach the telemetry (2026-07-28 refuses them at the door). */
  unknownMethods: boolean;
  /** The characters of the huge names (2026-07-28's routing headers carry names: ASCII there). */
  units: string[];
}

const ERAS: Era[] = [
  {
    name: "2025-11-25 session",
    protocolVersion: "2025-11-25",
    open: async (handler) => {
      const session: TestSession = await initialize(handler);
      assert.equal(session.protocolVersion, "2025-11-25");
      return (method, params, id) => rpc(handler, session, method, params, { id });
    },
    unknownMethods: true,
    units: ["m", "€", "😀"],
  },
  {
    name: "2026-07-28 stateless",
    protocolVersion: "2026-07-28",
    open: (handler) =>
      Promise.resolve((method, params, id) => modernRpc(handler, method, params, { id })),
    unknownMethods: false,
    units: ["m"],
  },
];

/** Known requests, then a flood of `count` new names of each kind and huge ones, tagged `tag`. */
async function exercise(send: Send, era: Era, tag: string, count: number): Promise<void> {
  await known(send);
  await flood(send, tag, count);
  await floodHuge(send, tag, era.units);
  await send("ping", undefined, tag + "i".repeat(MEGABYTE));
}

for (const era of ERAS) {
  describe(`telemetry of ${era.name} takes only names the server knows, bounded`, () => {
    it("a flood of new names adds no metric attribute set", async () => {
      const handler = makeServer();
      try {
        const send = await era.open(handler);
        await exercise(send, era, "first", 3);
        const settled = await attributeSets();
        await exercise(send, era, "second", 40);
        assert.deepEqual(
          [...await attributeSets()].filter((set) => !settled.has(set)),
          [],
          "new names made new attribute sets",
        );
      } finally {
        await handler.close();
      }
    });

    it("every span name, attribute value and status message is within 256 bytes", async () => {
      const handler = makeServer();
      try {
        await exercise(await era.open(handler), era, "bounded", 3);
        await assertAllBounded();
      } finally {
        await handler.close();
      }
    });

    it("unknown names are _OTHER; the server's own names are themselves", async () => {
      const handler = makeServer();
      try {
        await exercise(await era.open(handler), era, "named", 3);
        await assertNamed(era.protocolVersion, era.unknownMethods);
      } finally {
        await handler.close();
      }
    });
  });
}

// A 2026-07-28 request names its tool in Mcp-Name too, and the door refuses one that does not
// match the body before telemetry; a 2025 session's reaches the traced dispatch.
describe("telemetry of a 2025-11-25 session, given a name that is not a string", () => {
  it("tools/call and prompts/get answer -32602 (String() of { toString: 1 } threw: -32603)", async () => {
    const handler = makeServer();
    try {
      const session = await initialize(handler);
      for (const method of ["tools/call", "prompts/get"]) {
        const outcome = await rpc(handler, session, method, {
          name: { toString: 1 },
          arguments: {},
        });
        assert.equal(outcome.message?.error?.code, -32602, JSON.stringify(outcome.message));
      }
    } finally {
      await handler.close();
    }
  });
});
