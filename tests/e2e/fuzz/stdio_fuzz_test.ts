/**
 * Property-based fuzzing of the stdio binding (src/adapters/stdio/session.ts) with fast-check, in
 * process, against the conformance fixture: random lines of JSON-RPC shapes in both eras whose
 * claims, names, ids, arguments and `_meta` may be objects with a `toString` or `valueOf` that is
 * not a function, arrays, numbers, null, long or odd strings. Invariants: taking a line never
 * throws; every line written is one JSON-RPC message; nothing a client sends reaches `onError`
 * or answers "Internal error"; the session still serves a call afterwards. And one line whose
 * handling throws (a handler that throws) answers that line's id with an error and the session
 * serves on.
 *
 * Seeded: FUZZ_SEED picks the seed (printed at the start); FUZZ_RUNS raises the number of runs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { StdioSession } from "../../../src/adapters/stdio/session.ts";
import type { McpHandler } from "../../../mod.ts";

const env =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const SEED = Number(env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(env.FUZZ_RUNS ?? 400);
const TIME_LIMIT_MS = Number(env.FUZZ_TIME_LIMIT_MS ?? 10_000);

const VERSION = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";

/** Values whose conversion to a string or number throws when done by `String()` or `+`. */
const hostile = fc.constantFrom(
  { toString: 1 },
  { valueOf: 1 },
  { toString: 1, valueOf: 1 },
  { toJSON: 1 },
  { __proto__: null },
  { constructor: 1 },
);
const strings = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom("", "\u0000", "\uFEFF", "\uD800", "é€😀", "line\nbreak", "a".repeat(3_000)),
);
const values = fc.oneof(
  hostile,
  strings,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(hostile, fc.integer(), strings), { maxLength: 3 }),
);
const ids = fc.oneof(fc.integer({ min: 1, max: 1_000 }), strings, hostile, fc.constant(null));
const methods = fc.constantFrom(
  "ping",
  "tools/list",
  "tools/call",
  "resources/read",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "server/discover",
  "tasks/get",
  "notifications/cancelled",
  "notifications/initialized",
  "toString",
);
const meta = fc.oneof(
  fc.record({ [VERSION]: fc.oneof(values, fc.constant("2026-07-28")), [CAPABILITIES]: values }),
  fc.record({ [VERSION]: fc.constant("2026-07-28"), [CAPABILITIES]: fc.constant({}) }),
  values,
);
const params = fc.oneof(
  fc.record({
    name: fc.oneof(values, fc.constantFrom("test_simple_text", "increment")),
    uri: values,
    taskId: values,
    requestId: ids,
    arguments: fc.oneof(values, fc.dictionary(strings, values, { maxKeys: 3 })),
    _meta: meta,
  }, { requiredKeys: [] }),
  values,
);
/** One line: a request or notification, or (rarely) a batch or a response. */
const line = fc.oneof(
  { weight: 8, arbitrary: fc.record({ id: ids, method: methods, params }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.array(fc.record({ id: ids, method: methods }), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ id: ids, result: values, error: values }) },
).map((message) =>
  JSON.stringify(Array.isArray(message) ? message : { jsonrpc: "2.0", ...message })
);

/** A session on `handler` that keeps what it writes and what it reports. */
function sessionOn(handler: McpHandler) {
  const written: string[] = [];
  const reported: unknown[] = [];
  const session = new StdioSession(handler, (text) => written.push(text), {
    onError: (error) => reported.push(error),
  });
  return { session, written, reported };
}

/** Each written line as a JSON-RPC message (or a batch of them); fails on anything else. */
function parsedMessages(written: string[]): Record<string, unknown>[] {
  return written.flatMap((text) => {
    const message = JSON.parse(text);
    const messages = Array.isArray(message) ? message : [message];
    for (const one of messages) assert.equal(one.jsonrpc, "2.0", text.slice(0, 300));
    return messages;
  });
}

const call = (id: number) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: {
      name: "test_simple_text",
      arguments: {},
      _meta: { [VERSION]: "2026-07-28", [CAPABILITIES]: {} },
    },
  });

describe(`stdio fuzzing (fast-check, seed ${SEED}, FUZZ_SEED=${SEED} to replay)`, () => {
  it("no line throws, every answer is JSON-RPC, nothing is an internal error, it serves on", async () => {
    console.log(`stdio fuzz: seed ${SEED}, up to ${RUNS} runs, ${TIME_LIMIT_MS} ms`);
    const handler = createEverythingHandler({});
    const { session, written, reported } = sessionOn(handler);
    try {
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(line, async (text) => {
          sent++;
          await session.receive(text);
        }),
        {
          seed: SEED,
          numRuns: RUNS,
          interruptAfterTimeLimit: TIME_LIMIT_MS,
          markInterruptAsFailure: false,
        },
      );
      await session.receive(call(1_000_001));
      await session.settled();
      const messages = parsedMessages(written);
      const internal = messages.filter((message) =>
        (message.error as { code?: number } | undefined)?.code === -32603
      );
      assert.deepEqual(internal, [], "no internal error for client input");
      assert.deepEqual(reported.map(String), [], "nothing a client sends is reported");
      // Positive controls: the generator reaches refusals and answers alike.
      assert.ok(messages.some((message) => message.error !== undefined), "some lines refused");
      const served = messages.find((message) => message.id === 1_000_001);
      assert.deepEqual(
        (served?.result as { content?: unknown })?.content,
        [{ type: "text", text: "This is a simple text response for testing." }],
        `still serving after ${sent} lines`,
      );
    } finally {
      await handler.close();
    }
  });

  it("a claim of {toString: 1} gets -32602 for its id, as over HTTP, and the next call is served", async () => {
    const handler = createEverythingHandler({});
    const { session, written, reported } = sessionOn(handler);
    try {
      await session.receive(JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/list",
        params: { _meta: { [VERSION]: { toString: 1 }, [CAPABILITIES]: {} } },
      }));
      await session.receive(call(8));
      await session.settled();
      const [refused, served] = parsedMessages(written);
      assert.equal(refused.id, 7);
      assert.equal((refused.error as { code: number }).code, -32602);
      assert.equal(served.id, 8);
      assert.ok(served.result !== undefined, JSON.stringify(served));
      assert.deepEqual(reported, []);
    } finally {
      await handler.close();
    }
  });

  it("a line whose handling throws answers its id with an error, and the session serves on", async () => {
    const fixture = createEverythingHandler({});
    let calls = 0;
    // The first request's handling throws before any answer (as a conversion in the binding did).
    const throwing = Object.assign((request: Request) => {
      if (calls++ === 0) throw new TypeError("Cannot convert object to primitive value");
      return fixture(request);
    }, fixture) as McpHandler;
    const { session, written, reported } = sessionOn(throwing);
    try {
      await session.receive(call(1));
      await session.receive(call(2));
      await session.settled();
      const [failed, served] = parsedMessages(written);
      assert.deepEqual(failed, {
        jsonrpc: "2.0",
        id: 1,
        error: { code: -32603, message: "Internal error" },
      });
      assert.equal(served.id, 2);
      assert.ok(served.result !== undefined, JSON.stringify(served));
      assert.deepEqual(reported.map(String), [
        "TypeError: Cannot convert object to primitive value",
      ]);
    } finally {
      await fixture.close();
    }
  });
});
