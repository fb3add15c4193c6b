/**
 * Property-based fuzzing of the HTTP surface with fast-check, in process,
 * against the conformance fixture (both eras, its auth rule). Random
 * methods, headers (Accept, Content-Type, MCP-Protocol-Version,
 * Mcp-Session-Id bytes, Last-Event-ID, Origin/Host, Authorization, the 2026
 * routing headers) and bodies (random text, JSON-RPC shapes with wrong
 * types, batches, long strings, lone surrogates, NUL, BOM, streamed in
 * chunks). Invariants: never a 500 for client input; every error is a
 * well-formed JSON-RPC error body; the handler stays healthy; memory stays
 * bounded.
 *
 * Seeded: FUZZ_SEED picks the seed (printed on failure and at the start);
 * FUZZ_RUNS raises the number of runs for a longer local session (the CI
 * default stays well under 30 s per runtime).
 */
import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createEverythingHandler } from "../../../examples/everything.ts";

const env =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const SEED = Number(env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(env.FUZZ_RUNS ?? 1_500);
const TIME_LIMIT_MS = Number(env.FUZZ_TIME_LIMIT_MS ?? 15_000);
const ENDPOINT = "http://127.0.0.1:8787/mcp";

const encoder = new TextEncoder();

/** Reads a body as text, but never waits long: SSE streams may stay open. */
async function drain(response: Response): Promise<string> {
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("text/event-stream")) {
    await response.body?.cancel();
    return "";
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((
    resolve,
  ) => (timer = setTimeout(() => resolve("<timeout>"), 2_000)));
  try {
    return await Promise.race([response.text(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const strings = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", "\u0000", "\uFEFF", "\uD800", "\uDC00x", "é€😀", "a".repeat(5_000)),
);
const jsonValues = fc.oneof(
  strings,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), {
    maxKeys: 3,
  }),
);
const methods = fc.constantFrom(
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "resources/read",
  "resources/subscribe",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "server/discover",
  "subscriptions/listen",
  "notifications/cancelled",
  "notifications/initialized",
  "toString",
  "__proto__",
);
function mostly2<T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) {
  return fc.oneof({ arbitrary: good, weight: 8 }, { arbitrary: bad, weight: 1 });
}
const meta = fc.record({
  "io.modelcontextprotocol/protocolVersion": fc.oneof(
    fc.constantFrom("2026-07-28", "2025-11-25", "v999"),
    jsonValues,
  ),
  "io.modelcontextprotocol/clientCapabilities": fc.oneof(
    fc.constant({}),
    fc.constant({ elicitation: {} }),
    jsonValues,
  ),
  progressToken: fc.oneof(strings, fc.integer()),
}, { requiredKeys: [] });
const paramFields = {
  name: fc.oneof(
    fc.constantFrom("whoami", "slow", "test_simple_text", "constructor", "test_header_param"),
    strings,
  ),
  uri: fc.oneof(fc.constantFrom("test://static-text", "test://template/1/data"), strings),
  arguments: fc.oneof(jsonValues, fc.constant({ steps: 1, intervalMs: 0 })),
  protocolVersion: fc.oneof(fc.constantFrom("2025-11-25", "2026-07-28"), jsonValues),
  capabilities: jsonValues,
  cursor: jsonValues,
  requestState: jsonValues,
  inputResponses: jsonValues,
};
/** Params of a sessionful request most of the time; a 2026 envelope (`_meta` claim) some of the time. */
const params = mostly2(
  fc.oneof(
    { arbitrary: fc.record(paramFields, { requiredKeys: [] }), weight: 6 },
    {
      arbitrary: fc.record({ ...paramFields, _meta: meta }, { requiredKeys: ["_meta"] }),
      weight: 2,
    },
  ),
  jsonValues,
);
/** Mostly well-formed JSON-RPC (so the dispatcher is reached), with wrong types mixed in. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: good, weight: 8 }, { arbitrary: bad, weight: 1 });
const wellFormed = fc.record({
  jsonrpc: mostly(fc.constant("2.0"), jsonValues),
  id: mostly(
    fc.integer({ min: 1, max: 1_000_000 }),
    fc.oneof(fc.string({ maxLength: 20 }), fc.double(), fc.constant(null), jsonValues),
  ),
  method: mostly(methods, jsonValues),
  params,
}, { requiredKeys: ["jsonrpc", "method"] });
const message = mostly(
  wellFormed,
  fc.record({
    jsonrpc: jsonValues,
    id: jsonValues,
    method: jsonValues,
    params,
    result: jsonValues,
    error: jsonValues,
  }, { requiredKeys: [] }),
);
const body = fc.oneof(
  { arbitrary: message.map((m) => JSON.stringify(m)), weight: 6 },
  {
    arbitrary: fc.array(message, { maxLength: 4 }).map((batch) => JSON.stringify(batch)),
    weight: 1,
  },
  { arbitrary: strings, weight: 1 },
  {
    arbitrary: fc.constantFrom(
      "",
      "{",
      "[]",
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
      "\uFEFF{}",
      '{"jsonrpc":"2.0","id":1,"method":"ping"}\u0000',
    ),
    weight: 1,
  },
);
/**
 * A header: mostly what a conforming client sends (`good`), sometimes absent,
 * sometimes a near miss (`odd`), sometimes random; so requests get past the
 * guards often enough to reach the pipelines.
 */
const header = (good: fc.Arbitrary<string | undefined>, odd: fc.Arbitrary<string>) =>
  fc.oneof(
    { arbitrary: good, weight: 24 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: odd, weight: 1 },
    { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
  );
const request = fc.record({
  method: fc.oneof({ arbitrary: fc.constant("POST"), weight: 12 }, {
    arbitrary: fc.constantFrom("GET", "DELETE", "PUT", "OPTIONS", "PATCH"),
    weight: 2,
  }),
  body,
  chunked: fc.boolean(),
  accept: header(
    fc.constant("application/json, text/event-stream"),
    fc.constantFrom("text/event-stream", "application/json;q=0, text/event-stream", "*/*"),
  ),
  contentType: header(
    fc.constant("application/json"),
    fc.constantFrom("application/json; charset=utf-8", "text/plain"),
  ),
  version: header(
    fc.constantFrom("2025-11-25", "2026-07-28", undefined),
    fc.constantFrom("2025-03-26", "1999-01-01"),
  ),
  session: header(fc.constant("<live>"), fc.string({ unit: "binary-ascii", maxLength: 300 })),
  lastEventId: header(
    fc.constant(undefined),
    fc.constantFrom("listen:0", "x:1", "a:99999999999999999999"),
  ),
  origin: header(
    fc.constant(undefined),
    fc.constantFrom("http://127.0.0.1:8787", "http://evil.example"),
  ),
  host: fc.oneof({ arbitrary: fc.constant("127.0.0.1:8787"), weight: 24 }, {
    arbitrary: fc.constantFrom("localhost", "evil.example"),
    weight: 1,
  }),
  authorization: header(
    fc.constant(undefined),
    fc.constantFrom("Bearer alice", "Bearer anonymous", "Basic x"),
  ),
  mcpMethod: header(methods, fc.constantFrom("TOOLS/LIST", "")),
  mcpName: header(
    fc.constantFrom("whoami", "=?base64?d2hvYW1p?="),
    fc.constantFrom("=?base64?!!?=", "  x  "),
  ),
});

type FuzzInput = typeof request extends fc.Arbitrary<infer T> ? T : never;

function toRequest(input: FuzzInput, liveSession: string): Request | undefined {
  const headers = new Headers();
  const set = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    try {
      headers.set(name, value);
    } catch { /* not a valid header value: the client could not send it either */ }
  };
  set("accept", input.accept);
  set("content-type", input.contentType);
  set("mcp-protocol-version", input.version);
  set("mcp-session-id", input.session === "<live>" ? liveSession : input.session);
  set("last-event-id", input.lastEventId);
  set("origin", input.origin);
  set("host", input.host);
  set("authorization", input.authorization);
  set("mcp-method", input.mcpMethod);
  set("mcp-name", input.mcpName);
  const hasBody = input.method !== "GET" && input.method !== "DELETE";
  const bytes = encoder.encode(input.body);
  const streamBody = () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
        controller.close();
      },
    });
  try {
    return new Request(ENDPOINT, {
      method: input.method,
      headers,
      body: hasBody ? (input.chunked ? streamBody() : bytes) : undefined,
      ...(hasBody && input.chunked ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch {
    return undefined;
  }
}

/** The invariant every answer must hold. */
function checkAnswer(status: number, contentType: string, text: string): void {
  assert.ok(status >= 200 && status < 600, `status ${status}`);
  assert.notEqual(status, 500, `a 500 for client input: ${text.slice(0, 300)}`);
  if (status < 400 || status === 499) return;
  assert.match(
    contentType,
    /^application\/json/,
    `error ${status} with content-type ${contentType}`,
  );
  const parsed = JSON.parse(text);
  assert.equal(parsed.jsonrpc, "2.0");
  assert.ok(
    parsed.id === null || typeof parsed.id === "string" || typeof parsed.id === "number",
    `error id ${JSON.stringify(parsed.id)}`,
  );
  assert.ok(Number.isInteger(parsed.error?.code), `error code in ${text.slice(0, 200)}`);
  assert.equal(typeof parsed.error.message, "string");
}

describe(`HTTP fuzzing (fast-check, seed ${SEED}, FUZZ_SEED=${SEED} to replay)`, () => {
  it("never answers 500, always well-formed errors, stays healthy and bounded", async () => {
    console.log(`http fuzz: seed ${SEED}, up to ${RUNS} runs, ${TIME_LIMIT_MS} ms`);
    const errors: unknown[] = [];
    const handler = createEverythingHandler({});
    try {
      const init = await handler(
        new Request(ENDPOINT, {
          method: "POST",
          headers: {
            accept: "application/json, text/event-stream",
            "content-type": "application/json",
            host: "127.0.0.1:8787",
          },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: 0,
            method: "initialize",
            params: {
              protocolVersion: "2025-11-25",
              capabilities: {},
              clientInfo: { name: "fuzz", version: "0" },
            },
          }),
        }),
      );
      const liveSession = init.headers.get("mcp-session-id") ?? "";
      await init.text();
      assert.ok(liveSession, "positive control: the fixture opens a session");
      const heapBefore = process.memoryUsage().heapUsed;
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request, async (input) => {
          const built = toRequest(input, liveSession);
          if (built === undefined) return;
          const response = await handler(built);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const text = await drain(response);
          checkAnswer(response.status, response.headers.get("content-type") ?? "", text);
        }),
        {
          seed: SEED,
          numRuns: RUNS,
          interruptAfterTimeLimit: TIME_LIMIT_MS,
          markInterruptAsFailure: false,
        },
      );
      console.log(`http fuzz: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
      // Positive control: the generator reaches the dispatcher (answers) as well as the guards (refusals).
      assert.ok(
        (statuses.get(200) ?? 0) + (statuses.get(202) ?? 0) > 0,
        "some requests were served",
      );
      assert.ok([...statuses.keys()].some((status) => status >= 400), "some requests were refused");
      // Still healthy: a fresh session works end to end.
      const after = await handler(
        new Request(ENDPOINT, {
          method: "POST",
          headers: {
            accept: "application/json, text/event-stream",
            "content-type": "application/json",
            host: "127.0.0.1:8787",
          },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "initialize",
            params: { protocolVersion: "2025-11-25", capabilities: {} },
          }),
        }),
      );
      assert.equal(after.status, 200);
      await after.text();
      const growth = process.memoryUsage().heapUsed - heapBefore;
      assert.ok(growth < 256 * 1024 * 1024, `heap grew ${growth} bytes`);
      assert.deepEqual(errors, []);
    } finally {
      await handler.close();
    }
  });
});
