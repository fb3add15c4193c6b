/**
 * Findings 11 and 12 of the hostile-input review, in process: names that
 * live on `Object.prototype` must not pass for definitions (schemas, method
 * tables, registries, completers), an invalid id is never echoed, `Accept`
 * media ranges are parsed (q=0 refuses, `application/json-seq` is not JSON),
 * cursors are strictly decimal, and error data repeats at most a bounded
 * prefix of what the client sent.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkGetAccept, checkPostAccept } from "../../../src/http/guards.ts";
import { McpError } from "../../../src/jsonrpc/error_codes.ts";
import { paginate } from "../../../src/protocol/dispatch/pagination.ts";
import {
  assertHttpError,
  ENDPOINT,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  rpc,
} from "../../helpers.ts";
import { modernRpc } from "../../support/modern_helpers.ts";

const PROTOTYPE_NAMES = [
  "toString",
  "constructor",
  "__proto__",
  "hasOwnProperty",
  "valueOf",
  "isPrototypeOf",
];
const MAX_ECHO = 256;

/** Arguments with one own property named `key`, even `__proto__` (a computed key defines, never sets the prototype). */
function ownKey(key: string, value: unknown = 1): Record<string, unknown> {
  return { [key]: value };
}

describe("Object.prototype names are not definitions", () => {
  const strictTool = {
    name: "strict",
    input: { type: "object", properties: { a: { type: "string" } }, additionalProperties: false },
    handler: () => "ran",
  };
  const requiredTool = {
    name: "needs",
    input: {
      type: "object",
      properties: Object.fromEntries(PROTOTYPE_NAMES.map((n) => [n, { type: "string" }])),
      required: PROTOTYPE_NAMES,
    },
    handler: () => "ran",
  };

  it("additionalProperties: false refuses toString, constructor, __proto__, hasOwnProperty as it refuses evil", async () => {
    const handler = makeHandler({ tools: [strictTool] });
    try {
      const session = await initialize(handler);
      const ok = await rpc(handler, session, "tools/call", {
        name: "strict",
        arguments: { a: "x" },
      });
      assert.equal(
        ok.message.result.isError,
        undefined,
        "positive control: a declared property passes",
      );
      const evil = await rpc(handler, session, "tools/call", {
        name: "strict",
        arguments: { evil: 1 },
      });
      assert.equal(evil.message.result.isError, true, "an undeclared property is refused");
      for (const key of PROTOTYPE_NAMES) {
        const outcome = await rpc(handler, session, "tools/call", {
          name: "strict",
          arguments: ownKey(key),
        });
        assert.equal(
          outcome.message.result.isError,
          true,
          `${key} must be refused like evil: ${JSON.stringify(outcome.message)}`,
        );
        assert.match(outcome.message.result.content[0].text, /unexpected property/);
      }
    } finally {
      await handler.close();
    }
  });

  it("a required property named like an Object.prototype member must be given", async () => {
    const handler = makeHandler({ tools: [requiredTool] });
    try {
      const session = await initialize(handler);
      const missing = await rpc(handler, session, "tools/call", { name: "needs", arguments: {} });
      assert.equal(missing.message.result.isError, true, JSON.stringify(missing.message));
      assert.match(missing.message.result.content[0].text, /missing required property/);
      const given = Object.fromEntries(PROTOTYPE_NAMES.map((n) => [n, "x"]));
      const present = await rpc(handler, session, "tools/call", {
        name: "needs",
        arguments: given,
      });
      assert.equal(present.message.result.content[0].text, "ran", JSON.stringify(present.message));
    } finally {
      await handler.close();
    }
  });

  it("methods named toString, constructor, __proto__, hasOwnProperty get -32601, on both eras", async () => {
    const handler = makeHandler({ tools: [strictTool] });
    try {
      const session = await initialize(handler);
      for (const method of PROTOTYPE_NAMES) {
        const legacy = await rpc(handler, session, method, {});
        assert.equal(
          legacy.message.error?.code,
          -32601,
          `${method}: ${JSON.stringify(legacy.message)}`,
        );
        const modern = await modernRpc(handler, method, {});
        assert.equal(
          modern.message.error?.code,
          -32601,
          `${method} (2026-07-28): ${JSON.stringify(modern.message)}`,
        );
      }
    } finally {
      await handler.close();
    }
  });

  it("tools, prompts and resources named like Object.prototype members are unknown", async () => {
    const handler = makeHandler({
      tools: [strictTool],
      prompts: [{ name: "greeting", handler: () => "hi" }],
      resources: [{ uri: "test://known", name: "known", read: () => "x" }],
    });
    try {
      const session = await initialize(handler);
      for (const name of PROTOTYPE_NAMES) {
        const tool = await rpc(handler, session, "tools/call", { name, arguments: {} });
        assert.equal(tool.message.error?.code, -32602, JSON.stringify(tool.message));
        assert.match(tool.message.error.message, /Unknown tool/);
        const prompt = await rpc(handler, session, "prompts/get", { name });
        assert.equal(prompt.message.error?.code, -32602, JSON.stringify(prompt.message));
        assert.match(prompt.message.error.message, /Unknown prompt/);
        const resource = await rpc(handler, session, "resources/read", { uri: name });
        assert.equal(resource.message.error?.code, -32002, JSON.stringify(resource.message));
      }
    } finally {
      await handler.close();
    }
  });

  it("a 2026-07-28 _meta key __proto__ cannot smuggle an oversized progress token past maxIdBytes", async () => {
    const handler = makeHandler({
      http: {
        maxIdBytes: 64,
      },
      tools: [{
        name: "steps",
        handler: async (
          _input: unknown,
          ctx: { progress(n: number, total?: number): Promise<void> },
        ) => {
          await ctx.progress(1, 1);
          return "done";
        },
      }],
    });
    try {
      const token = "t".repeat(10_000);
      const outcome = await modernRpc(handler, "tools/call", { name: "steps", arguments: {} }, {
        meta: ownKey("__proto__", { progressToken: token }),
      });
      assert.equal(
        outcome.message.result?.content?.[0]?.text,
        "done",
        JSON.stringify(outcome.message).slice(0, 300),
      );
      const progress = outcome.messages.filter((message) =>
        message.method === "notifications/progress"
      );
      assert.equal(
        progress.length,
        0,
        "no progress token reached the handler, so no progress is sent",
      );
    } finally {
      await handler.close();
    }
  });

  it("completing an argument named like an Object.prototype member finds no completer", async () => {
    const handler = makeHandler({
      prompts: [{
        name: "greeting",
        arguments: [{ name: "who" }],
        complete: { who: (value: string) => ["alice", "bob"].filter((v) => v.startsWith(value)) },
        handler: () => "hi",
      }],
      resourceTemplates: [{
        uriTemplate: "test://item/{id}",
        name: "item",
        complete: { id: () => ["1", "2"] },
        read: () => "x",
      }],
    });
    try {
      const session = await initialize(handler);
      const control = await rpc(handler, session, "completion/complete", {
        ref: { type: "ref/prompt", name: "greeting" },
        argument: { name: "who", value: "a" },
      });
      assert.deepEqual(control.message.result?.completion.values, ["alice"], "positive control");
      for (const name of PROTOTYPE_NAMES) {
        for (
          const ref of [{ type: "ref/prompt", name: "greeting" }, {
            type: "ref/resource",
            uri: "test://item/{id}",
          }]
        ) {
          const outcome = await rpc(handler, session, "completion/complete", {
            ref,
            argument: { name, value: "x" },
          });
          assert.deepEqual(
            outcome.message.result?.completion,
            { values: [], total: 0, hasMore: false },
            `${ref.type} argument ${name}: ${JSON.stringify(outcome.message)}`,
          );
        }
      }
    } finally {
      await handler.close();
    }
  });
});

describe("an invalid id is never echoed", () => {
  for (
    const [label, id] of [["1.5", 1.5], ["an object", { a: 1 }], ["an array", [1]], [
      "true",
      true,
    ]] as const
  ) {
    it(`a request whose id is ${label} answers 400 with id null`, async () => {
      const handler = makeHandler();
      try {
        const response = await handler(postRequest({ jsonrpc: "2.0", id, method: "ping" }));
        await assertHttpError(response, 400, { code: -32600, id: null });
      } finally {
        await handler.close();
      }
    });
  }

  it("a response whose id is 1.5 answers 400 with id null", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      const response = await handler(
        postRequest({ jsonrpc: "2.0", id: 1.5, result: {} }, {
          sessionId: session.id,
          protocolVersion: session.protocolVersion,
        }),
      );
      await assertHttpError(response, 400, { code: -32600, id: null });
    } finally {
      await handler.close();
    }
  });
});

describe("Accept media ranges", () => {
  const post = (accept: string, strict = true) =>
    checkPostAccept(new Request(ENDPOINT, { method: "POST", headers: { accept } }), strict)?.status;
  const get = (accept: string) =>
    checkGetAccept(new Request(ENDPOINT, { headers: { accept } }))?.status;

  it("q=0 means not acceptable", () => {
    assert.equal(post("application/json;q=0, text/event-stream"), 406);
    assert.equal(post("application/json, text/event-stream;q=0"), 406);
    assert.equal(post("application/json; q=0.000, text/event-stream"), 406);
    assert.equal(post("application/json;Q=0, text/event-stream"), 406);
    assert.equal(post("*/*;q=0"), 406);
    assert.equal(get("text/event-stream;q=0"), 406);
    assert.equal(get("*/*;q=0"), 406);
  });

  it("the most specific range decides: a listed type with q=0 is refused under */*", () => {
    assert.equal(post("*/*, application/json;q=0"), 406);
    assert.equal(post("application/*, text/*, text/event-stream;q=0"), 406);
    assert.equal(post("*/*;q=0, application/json, text/event-stream"), undefined);
    assert.equal(get("*/*, text/event-stream;q=0"), 406);
  });

  it("a type is not accepted because another type starts with its name", () => {
    assert.equal(post("application/json-seq, text/event-stream"), 406);
    assert.equal(post("application/jsonx, text/event-stream"), 406);
    assert.equal(post("application/json, text/event-streamer"), 406);
    assert.equal(get("text/event-streams"), 406);
    assert.equal(
      post("application/json-seq, text/event-stream", false),
      undefined,
      "non-strict: SSE alone still passes",
    );
  });

  it("positive control: q above 0, parameters, case and whitespace are accepted", () => {
    assert.equal(post("application/json;q=0.1, text/event-stream;q=0.5"), undefined);
    assert.equal(post("Application/JSON; charset=utf-8 , TEXT/Event-Stream"), undefined);
    assert.equal(post("application/*;q=0.2, text/*"), undefined);
    assert.equal(post("*/*"), undefined);
    assert.equal(get("text/event-stream; q=1"), undefined);
    assert.equal(get("text/*"), undefined);
  });

  it("a POST whose Accept gives JSON q=0 answers 406 through the handler", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        postRequest(initializeMessage(), {
          headers: { accept: "application/json;q=0, text/event-stream" },
        }),
      );
      await assertHttpError(response, 406);
    } finally {
      await handler.close();
    }
  });
});

describe("cursors are strictly decimal", () => {
  const items = Array.from({ length: 40 }, (_, i) => i);
  const cursor = (text: string) => btoa(text).replace(/=+$/, "");
  const isInvalidCursor = (error: unknown) => error instanceof McpError && error.code === -32602;

  it("tools:0x10, tools:1e1, tools:, tools: 5, tools:+5, tools:5.0, tools:05 are refused with -32602", () => {
    for (
      const text of [
        "tools:0x10",
        "tools:0b10",
        "tools:0o7",
        "tools:1e1",
        "tools:",
        "tools: 5",
        "tools:5 ",
        "tools:+5",
        "tools:5.0",
        "tools:05",
        "tools:-0",
      ]
    ) {
      assert.throws(() => paginate("tools", items, cursor(text), 2), isInvalidCursor, text);
    }
  });

  it("positive control: the cursors it issues, and plain decimal offsets, are accepted", () => {
    assert.deepEqual(paginate("tools", items, cursor("tools:16"), 2).items, [16, 17]);
    assert.deepEqual(paginate("tools", items, cursor("tools:0"), 2).items, [0, 1]);
    const next = paginate("tools", items, undefined, 2).nextCursor;
    assert.deepEqual(paginate("tools", items, next, 2).items, [2, 3]);
  });

  it("tools/list with the cursor tools:0x10 answers -32602", async () => {
    const tools = Array.from({ length: 20 }, (_, i) => ({ name: `t${i}`, handler: () => "ok" }));
    const handler = makeHandler({ tools, limits: { pageSize: 2 } });
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "tools/list", { cursor: cursor("tools:0x10") });
      assert.equal(
        outcome.message.error?.code,
        -32602,
        JSON.stringify(outcome.message).slice(0, 300),
      );
    } finally {
      await handler.close();
    }
  });
});

describe("errors repeat at most a bounded prefix of client input", () => {
  it("resources/read of a 3 MB unknown URI echoes at most 256 characters of it", async () => {
    const handler = makeHandler({
      limits: {
        maxUriBytes: 4 * 1024 * 1024,
      },
      resources: [{ uri: "test://known", name: "k", read: () => "x" }],
    });
    try {
      const session = await initialize(handler);
      const uri = "test://" + "u".repeat(3_000_000);
      const outcome = await rpc(handler, session, "resources/read", { uri });
      assert.equal(outcome.message.error?.code, -32002);
      assert.ok(
        JSON.stringify(outcome.message).length < 2_000,
        `error of ${JSON.stringify(outcome.message).length} chars`,
      );
      assert.equal(typeof outcome.message.error.data.uri, "string");
      assert.ok(outcome.message.error.data.uri.length <= MAX_ECHO);
      assert.ok(
        uri.startsWith(outcome.message.error.data.uri),
        "what is echoed is a prefix of the URI",
      );
    } finally {
      await handler.close();
    }
  });

  it("a short unknown URI is echoed whole (positive control)", async () => {
    const handler = makeHandler({
      resources: [{ uri: "test://known", name: "k", read: () => "x" }],
    });
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "resources/read", { uri: "test://missing" });
      assert.deepEqual(outcome.message.error?.data, { uri: "test://missing" });
    } finally {
      await handler.close();
    }
  });

  it("an undeclared 100 KB property name is not repeated whole in the tool error", async () => {
    const handler = makeHandler({
      tools: [{
        name: "strict",
        input: { type: "object", properties: {}, additionalProperties: false },
        handler: () => "ran",
      }],
    });
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "tools/call", {
        name: "strict",
        arguments: ownKey("k".repeat(100_000)),
      });
      assert.equal(outcome.message.result?.isError, true);
      assert.ok(
        outcome.message.result.content[0].text.length < 1_000,
        `message of ${outcome.message.result.content[0].text.length} chars`,
      );
    } finally {
      await handler.close();
    }
  });

  it("an unsupported 100 KB protocol version is not repeated whole", async () => {
    const version = "v" + "9".repeat(100_000);
    const legacyOnly = makeHandler({ eras: { legacy: false, modern: true } });
    const modern = makeHandler();
    try {
      const refused = await legacyOnly(postRequest(initializeMessage(version)));
      const body = await refused.json();
      assert.equal(body.error.code, -32022, JSON.stringify(body).slice(0, 300));
      assert.ok(
        JSON.stringify(body).length < 2_000,
        `initialize error of ${JSON.stringify(body).length} chars`,
      );
      const outcome = await modernRpc(modern, "server/discover", {}, {
        version,
        headers: { "mcp-protocol-version": undefined },
      });
      assert.equal(
        outcome.message.error?.code,
        -32022,
        JSON.stringify(outcome.message).slice(0, 300),
      );
      assert.ok(
        JSON.stringify(outcome.message).length < 2_000,
        `discover error of ${JSON.stringify(outcome.message).length} chars`,
      );
    } finally {
      await legacyOnly.close();
      await modern.close();
    }
  });
});
