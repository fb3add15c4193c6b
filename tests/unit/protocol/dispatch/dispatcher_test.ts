/**
 * The MCP methods through the handler: tools (pagination, validation, errors
 * as results, output schemas), resources and templates, subscriptions,
 * prompts, logging levels, completion, capabilities, ping and unknown methods.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import {
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
  ErrorCode,
  McpError,
} from "../../../../mod.ts";
import { initialize, makeHandler, rpc } from "../../../helpers.ts";
import { modernRpc } from "../../../support/modern_helpers.ts";

function numberedTools(count: number) {
  return Array.from(
    { length: count },
    (_, i) => defineTool({ name: `tool_${i}`, handler: () => String(i) }),
  );
}

describe("initialize", () => {
  it("echoes a known protocol version", async () => {
    const handler = makeHandler();
    try {
      for (const version of ["2025-03-26", "2025-06-18", "2025-11-25"]) {
        assert.equal(
          (await initialize(handler, { protocolVersion: version })).result.protocolVersion,
          version,
        );
      }
    } finally {
      await handler.close();
    }
  });

  it("answers an unknown version with the latest (2025-11-25)", async () => {
    const handler = makeHandler();
    try {
      assert.equal(
        (await initialize(handler, { protocolVersion: "2024-11-05" })).result.protocolVersion,
        "2025-11-25",
      );
      assert.equal(
        (await initialize(handler, { protocolVersion: "2099-01-01" })).result.protocolVersion,
        "2025-11-25",
      );
    } finally {
      await handler.close();
    }
  });

  it("carries serverInfo and instructions", async () => {
    const handler = makeHandler({ title: "Test Server", instructions: "Be nice" });
    try {
      const { result } = await initialize(handler);
      assert.deepEqual(result.serverInfo, {
        name: "test-server",
        version: "1.0.0",
        title: "Test Server",
      });
      assert.equal(result.instructions, "Be nice");
    } finally {
      await handler.close();
    }
  });
});

describe("capabilities", () => {
  it("reflect what was defined: no prompts option → no prompts capability, and prompts/list → -32601", async () => {
    const handler = makeHandler({ tools: [] });
    try {
      const session = await initialize(handler);
      const caps = session.result.capabilities;
      assert.deepEqual(caps.tools, { listChanged: true });
      assert.equal(caps.prompts, undefined);
      assert.equal(caps.resources, undefined);
      assert.equal(caps.completions, undefined);
      assert.deepEqual(caps.logging, {});
      const list = await rpc(handler, session, "prompts/list");
      assert.equal(list.status, 200);
      assert.equal(list.message.error.code, -32601);
      assert.equal((await rpc(handler, session, "resources/list")).message.error.code, -32601);
    } finally {
      await handler.close();
    }
  });

  it("advertise resources, prompts and completions when defined", async () => {
    const handler = makeHandler({
      resourceTemplates: [defineResourceTemplate({
        uriTemplate: "u://{id}",
        name: "u",
        read: () => "x",
        complete: { id: () => ["1"] },
      })],
      prompts: [],
    });
    try {
      const caps = (await initialize(handler)).result.capabilities;
      assert.deepEqual(caps.resources, { subscribe: true, listChanged: true });
      assert.deepEqual(caps.prompts, { listChanged: true });
      assert.deepEqual(caps.completions, {});
      assert.equal(caps.tools, undefined);
    } finally {
      await handler.close();
    }
  });
});

describe("ping and unknown methods", () => {
  it("ping answers {}", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "ping", undefined, { id: "p-1" });
      assert.equal(outcome.status, 200);
      assert.deepEqual(outcome.message, { jsonrpc: "2.0", id: "p-1", result: {} });
    } finally {
      await handler.close();
    }
  });

  it("an unknown method answers -32601 with the request id", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "no/such/method", {}, { id: 41 });
      assert.equal(outcome.message.id, 41);
      assert.equal(outcome.message.error.code, -32601);
    } finally {
      await handler.close();
    }
  });

  it("notifications get 202 with no body", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      const response = await handler(
        new Request("http://127.0.0.1:8787/mcp", {
          method: "POST",
          headers: {
            accept: "application/json, text/event-stream",
            "content-type": "application/json",
            "mcp-session-id": session.id,
          },
          body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
        }),
      );
      assert.equal(response.status, 202);
      assert.equal(await response.text(), "");
    } finally {
      await handler.close();
    }
  });
});

describe("tools/list", () => {
  it("pages with pageSize and an opaque cursor until nextCursor is absent", async () => {
    const handler = makeHandler({ tools: numberedTools(5), limits: { pageSize: 2 } });
    try {
      const session = await initialize(handler);
      const names: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const outcome = await rpc(
          handler,
          session,
          "tools/list",
          cursor === undefined ? {} : { cursor },
        );
        const result = outcome.message.result;
        assert.ok(result.tools.length <= 2);
        names.push(...result.tools.map((t: { name: string }) => t.name));
        cursor = result.nextCursor;
        if (cursor !== undefined) {
          assert.equal(typeof cursor, "string");
          assert.ok(!/^\d+$/.test(cursor), "cursor should be opaque, not a bare offset");
        }
        pages++;
      } while (cursor !== undefined && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(names, ["tool_0", "tool_1", "tool_2", "tool_3", "tool_4"]);
    } finally {
      await handler.close();
    }
  });

  it("a list that fits in one page has no nextCursor", async () => {
    const handler = makeHandler({ tools: numberedTools(2), limits: { pageSize: 2 } });
    try {
      const session = await initialize(handler);
      const result = (await rpc(handler, session, "tools/list")).message.result;
      assert.equal(result.tools.length, 2);
      assert.equal("nextCursor" in result, false);
    } finally {
      await handler.close();
    }
  });

  it("a bad cursor answers -32602", async () => {
    const handler = makeHandler({ tools: numberedTools(5), limits: { pageSize: 2 }, prompts: [] });
    try {
      const session = await initialize(handler);
      for (
        const cursor of [
          "garbage!!",
          "",
          42,
          btoa("prompts:2"),
          btoa("tools:-1"),
          btoa("tools:99"),
          btoa("tools:1.5"),
        ]
      ) {
        const outcome = await rpc(handler, session, "tools/list", { cursor });
        assert.equal(
          outcome.message.error?.code,
          -32602,
          `cursor ${JSON.stringify(cursor)} should be refused`,
        );
      }
    } finally {
      await handler.close();
    }
  });

  it("keeps a raw JSON Schema input verbatim", async () => {
    const schema = {
      type: "object",
      properties: { when: { type: "string", format: "date-time" }, ref: { $ref: "#/$defs/thing" } },
      required: ["when"],
      $defs: { thing: { type: "integer", minimum: 3 } },
      "x-vendor": { keep: true },
    };
    const handler = makeHandler({
      tools: [defineTool({ name: "raw", input: schema, handler: () => "ok" })],
    });
    try {
      const session = await initialize(handler);
      const tool = (await rpc(handler, session, "tools/list")).message.result.tools[0];
      assert.deepEqual(tool.inputSchema, schema);
    } finally {
      await handler.close();
    }
  });

  it("converts a zod input to JSON Schema without a $schema key, and lists metadata", async () => {
    const handler = makeHandler({
      tools: [defineTool({
        name: "greet",
        title: "Greeter",
        description: "Greets",
        input: z.object({ name: z.string() }),
        annotations: { readOnlyHint: true },
        handler: ({ name }) => `Hello, ${name}`,
      })],
    });
    try {
      const session = await initialize(handler);
      const tool = (await rpc(handler, session, "tools/list")).message.result.tools[0];
      assert.equal(tool.name, "greet");
      assert.equal(tool.title, "Greeter");
      assert.equal(tool.description, "Greets");
      assert.deepEqual(tool.annotations, { readOnlyHint: true });
      assert.equal(tool.inputSchema.type, "object");
      assert.deepEqual(tool.inputSchema.required, ["name"]);
      assert.equal("$schema" in tool.inputSchema, false);
    } finally {
      await handler.close();
    }
  });

  it("a tool with no input schema advertises an empty object schema", async () => {
    const handler = makeHandler({ tools: numberedTools(1) });
    try {
      const session = await initialize(handler);
      const tool = (await rpc(handler, session, "tools/list")).message.result.tools[0];
      assert.deepEqual(tool.inputSchema, { type: "object", properties: {} });
    } finally {
      await handler.close();
    }
  });

  it("bad definitions throw at startup", () => {
    assert.throws(
      () => makeHandler({ tools: [defineTool({ name: "has space", handler: () => "" })] }),
      TypeError,
    );
    assert.throws(
      () => makeHandler({ tools: [...numberedTools(1), ...numberedTools(1)] }),
      /Duplicate/,
    );
    assert.throws(
      () =>
        makeHandler({
          tools: [defineTool({ name: "arr", input: { type: "array" }, handler: () => "" })],
        }),
      /object/,
    );
  });
});

describe("tools/call", () => {
  const greet = defineTool({
    name: "greet",
    input: z.object({ name: z.string().min(1) }),
    handler: ({ name }) => `Hello, ${name}!`,
  });
  const fails = defineTool({
    name: "fails",
    handler: () => {
      throw new Error("disk on fire");
    },
  });
  const structured = defineTool({
    name: "structured",
    input: z.object({ give: z.enum(["none", "good", "bad", "empty-content"]) }),
    output: z.object({ total: z.number() }),
    handler: ({ give }) => {
      // Deliberately off-schema (`as never` gets them past the output type): checked at run time.
      if (give === "none") return { content: [{ type: "text", text: "no structure" }] } as never;
      if (give === "bad") {
        return {
          content: [{ type: "text", text: "x" }],
          structuredContent: { total: "many" },
        } as never;
      }
      if (give === "empty-content") return { content: [], structuredContent: { total: 3 } };
      return { content: [{ type: "text", text: "3" }], structuredContent: { total: 3 } };
    },
  });

  async function call(name: string, args?: unknown) {
    const handler = makeHandler({ tools: [greet, fails, structured] });
    try {
      const session = await initialize(handler);
      const params: Record<string, unknown> = { name };
      if (args !== undefined) params.arguments = args;
      return (await rpc(handler, session, "tools/call", params)).message;
    } finally {
      await handler.close();
    }
  }

  it("runs a tool and wraps a string result as one text block", async () => {
    const message = await call("greet", { name: "Ada" });
    assert.deepEqual(message.result, { content: [{ type: "text", text: "Hello, Ada!" }] });
  });

  it("an unknown tool answers -32602", async () => {
    const message = await call("nope", {});
    assert.equal(message.error.code, -32602);
    assert.match(message.error.message, /nope/);
  });

  it("non-object arguments answer -32602", async () => {
    assert.equal((await call("greet", [1, 2])).error.code, -32602);
    assert.equal((await call("greet", "Ada")).error.code, -32602);
  });

  it("input validation failure is an isError result, not a protocol error", async () => {
    const message = await call("greet", { name: 42 });
    assert.equal(message.error, undefined);
    assert.equal(message.result.isError, true);
    assert.match(message.result.content[0].text, /Invalid arguments for tool greet/);
  });

  it("a thrown error is an isError result carrying its message", async () => {
    const message = await call("fails");
    assert.equal(message.result.isError, true);
    assert.equal(message.result.content[0].text, "disk on fire");
  });

  it("an outputSchema without structuredContent is an isError result", async () => {
    const message = await call("structured", { give: "none" });
    assert.equal(message.result.isError, true);
    assert.match(message.result.content[0].text, /structuredContent/);
  });

  it("structuredContent failing the outputSchema is an isError result", async () => {
    const message = await call("structured", { give: "bad" });
    assert.equal(message.result.isError, true);
  });

  it("conforming structuredContent is returned, and repeated as JSON text when content is empty", async () => {
    const good = await call("structured", { give: "good" });
    assert.deepEqual(good.result, {
      content: [{ type: "text", text: "3" }],
      structuredContent: { total: 3 },
    });
    const empty = await call("structured", { give: "empty-content" });
    assert.deepEqual(empty.result.content, [{ type: "text", text: '{"total":3}' }]);
    assert.equal(empty.result.isError, undefined);
  });

  it("raw JSON Schema input is checked structurally", async () => {
    const handler = makeHandler({
      tools: [defineTool({
        name: "raw",
        input: {
          type: "object",
          properties: { n: { type: "integer" } },
          required: ["n"],
          additionalProperties: false,
        },
        handler: (input) => `n=${input.n}`,
      })],
    });
    try {
      const session = await initialize(handler);
      const send = async (args: unknown) =>
        (await rpc(handler, session, "tools/call", { name: "raw", arguments: args })).message
          .result;
      assert.deepEqual(await send({ n: 2 }), { content: [{ type: "text", text: "n=2" }] });
      assert.equal((await send({})).isError, true);
      assert.equal((await send({ n: 1.5 })).isError, true);
      assert.equal((await send({ n: 1, extra: true })).isError, true);
    } finally {
      await handler.close();
    }
  });

  it("a tool's own result object is never changed, in either era", async () => {
    // One object returned by every call: the 2026-07-28 encoding adds resultType and _meta to a copy.
    const shared = { content: [{ type: "text" as const, text: "constant" }] };
    const handler = makeHandler({
      tools: [defineTool({ name: "constant", handler: () => shared })],
    });
    try {
      const modern = await modernRpc(handler, "tools/call", { name: "constant" });
      assert.equal(modern.message.result.resultType, "complete");
      assert.deepEqual(modern.message.result.content, shared.content);
      const session = await initialize(handler);
      const legacy = (await rpc(handler, session, "tools/call", { name: "constant" })).message;
      assert.deepEqual(legacy.result, { content: [{ type: "text", text: "constant" }] });
      assert.deepEqual(Object.keys(shared), ["content"]);
      assert.equal(
        (await modernRpc(handler, "tools/call", { name: "constant" })).message.result
          .resultType,
        "complete",
      );
    } finally {
      await handler.close();
    }
  });

  it("a tool may answer with a thenable that is not a Promise", async () => {
    const later = {
      then(resolve: (value: string) => void) {
        setTimeout(() => resolve("later"), 1);
      },
    };
    const handler = makeHandler({
      tools: [defineTool({ name: "later", handler: () => later as unknown as Promise<string> })],
    });
    try {
      const session = await initialize(handler);
      const message = (await rpc(handler, session, "tools/call", { name: "later" })).message;
      assert.deepEqual(message.result, { content: [{ type: "text", text: "later" }] });
    } finally {
      await handler.close();
    }
  });

  it("a tool returning a malformed result yields an isError result", async () => {
    const handler = makeHandler({
      tools: [defineTool({ name: "bad", handler: () => ({ nope: true } as unknown as string) })],
    });
    try {
      const session = await initialize(handler);
      const message = (await rpc(handler, session, "tools/call", { name: "bad" })).message;
      assert.equal(message.result.isError, true);
    } finally {
      await handler.close();
    }
  });
});

describe("resources", () => {
  const readme = defineResource({
    uri: "docs://readme",
    name: "readme",
    mimeType: "text/markdown",
    read: () => "# Hi",
  });
  const logo = defineResource({
    uri: "img://logo",
    name: "logo",
    mimeType: "image/png",
    read: () => new Uint8Array([104, 105]),
  });
  const user = defineResourceTemplate({
    uriTemplate: "users://{id}/profile",
    name: "user",
    mimeType: "application/json",
    read: (_uri, { id }) => (id === "ghost" ? undefined : JSON.stringify({ id })),
  });
  const failing = defineResource({
    uri: "err://mcp",
    name: "err",
    read: () => {
      throw new McpError(ErrorCode.InvalidParams, "bad region");
    },
  });

  function handlerWithResources() {
    return makeHandler({ resources: [readme, logo, failing], resourceTemplates: [user] });
  }

  it("resources/list lists the fixed resources; templates/list the templates", async () => {
    const handler = handlerWithResources();
    try {
      const session = await initialize(handler);
      const list = (await rpc(handler, session, "resources/list")).message.result.resources;
      assert.deepEqual(list.map((r: { uri: string }) => r.uri), [
        "docs://readme",
        "img://logo",
        "err://mcp",
      ]);
      assert.deepEqual(list[0], {
        uri: "docs://readme",
        name: "readme",
        mimeType: "text/markdown",
      });
      const templates =
        (await rpc(handler, session, "resources/templates/list")).message.result.resourceTemplates;
      assert.deepEqual(templates, [{
        uriTemplate: "users://{id}/profile",
        name: "user",
        mimeType: "application/json",
      }]);
    } finally {
      await handler.close();
    }
  });

  it("resources/read returns text contents, and bytes as a base64 blob", async () => {
    const handler = handlerWithResources();
    try {
      const session = await initialize(handler);
      const text =
        (await rpc(handler, session, "resources/read", { uri: "docs://readme" })).message.result;
      assert.deepEqual(text, {
        contents: [{ uri: "docs://readme", mimeType: "text/markdown", text: "# Hi" }],
      });
      const blob =
        (await rpc(handler, session, "resources/read", { uri: "img://logo" })).message.result;
      assert.deepEqual(blob, {
        contents: [{ uri: "img://logo", mimeType: "image/png", blob: "aGk=" }],
      });
    } finally {
      await handler.close();
    }
  });

  it("resources/read of a missing resource answers -32002 with data.uri", async () => {
    const handler = handlerWithResources();
    try {
      const session = await initialize(handler);
      const message =
        (await rpc(handler, session, "resources/read", { uri: "docs://missing" })).message;
      assert.equal(message.error.code, -32002);
      assert.deepEqual(message.error.data, { uri: "docs://missing" });
    } finally {
      await handler.close();
    }
  });

  it("resources/read matches a template and passes its variables", async () => {
    const handler = handlerWithResources();
    try {
      const session = await initialize(handler);
      const result =
        (await rpc(handler, session, "resources/read", { uri: "users://42/profile" })).message
          .result;
      assert.deepEqual(result, {
        contents: [{
          uri: "users://42/profile",
          mimeType: "application/json",
          text: '{"id":"42"}',
        }],
      });
    } finally {
      await handler.close();
    }
  });

  it("a template reader returning undefined answers -32002", async () => {
    const handler = handlerWithResources();
    try {
      const session = await initialize(handler);
      const message =
        (await rpc(handler, session, "resources/read", { uri: "users://ghost/profile" })).message;
      assert.equal(message.error.code, -32002);
      assert.deepEqual(message.error.data, { uri: "users://ghost/profile" });
    } finally {
      await handler.close();
    }
  });

  it("an McpError thrown by a reader keeps its code; a missing uri param answers -32602", async () => {
    const handler = handlerWithResources();
    try {
      const session = await initialize(handler);
      const message = (await rpc(handler, session, "resources/read", { uri: "err://mcp" })).message;
      assert.equal(message.error.code, -32602);
      assert.equal(message.error.message, "bad region");
      assert.equal((await rpc(handler, session, "resources/read", {})).message.error.code, -32602);
    } finally {
      await handler.close();
    }
  });

  it("resources/subscribe of an unknown uri answers an error; known URIs and template matches succeed", async () => {
    const handler = handlerWithResources();
    try {
      const session = await initialize(handler);
      const unknown =
        (await rpc(handler, session, "resources/subscribe", { uri: "docs://missing" })).message;
      assert.equal(unknown.error.code, -32002);
      assert.deepEqual(
        (await rpc(handler, session, "resources/subscribe", { uri: "docs://readme" })).message
          .result,
        {},
      );
      assert.deepEqual(
        (await rpc(handler, session, "resources/subscribe", { uri: "users://7/profile" })).message
          .result,
        {},
      );
      assert.deepEqual(
        (await rpc(handler, session, "resources/unsubscribe", { uri: "docs://readme" })).message
          .result,
        {},
      );
    } finally {
      await handler.close();
    }
  });

  it("sessions.maxSubscriptions caps subscriptions per session with -32602", async () => {
    const handler = makeHandler({ resources: [readme, logo], sessions: { maxSubscriptions: 1 } });
    try {
      const session = await initialize(handler);
      assert.deepEqual(
        (await rpc(handler, session, "resources/subscribe", { uri: "docs://readme" })).message
          .result,
        {},
      );
      // Re-subscribing to the same URI is not a new subscription.
      assert.deepEqual(
        (await rpc(handler, session, "resources/subscribe", { uri: "docs://readme" })).message
          .result,
        {},
      );
      assert.equal(
        (await rpc(handler, session, "resources/subscribe", { uri: "img://logo" })).message.error
          .code,
        -32602,
      );
    } finally {
      await handler.close();
    }
  });
});

describe("prompts", () => {
  const listPrompt = definePrompt({
    name: "summarise",
    arguments: [{ name: "text", required: true }, { name: "style" }],
    handler: (args) => `Summarise: ${args.text}`,
  });
  const zodPrompt = definePrompt({
    name: "review",
    arguments: z.object({ code: z.string(), lang: z.string().optional() }),
    complete: { lang: (value) => ["python", "perl", "rust"].filter((l) => l.startsWith(value)) },
    handler: ({ code }) => ({
      messages: [{ role: "user", content: { type: "text", text: `Review ${code}` } }],
    }),
  });

  it("prompts/list derives the arguments", async () => {
    const handler = makeHandler({ prompts: [listPrompt, zodPrompt] });
    try {
      const session = await initialize(handler);
      const prompts = (await rpc(handler, session, "prompts/list")).message.result.prompts;
      assert.deepEqual(prompts[0].arguments, [{ name: "text", required: true }, { name: "style" }]);
      assert.deepEqual(prompts[1].arguments, [{ name: "code", required: true }, {
        name: "lang",
        required: false,
      }]);
    } finally {
      await handler.close();
    }
  });

  it("prompts/get returns messages; a string becomes one user message", async () => {
    const handler = makeHandler({ prompts: [listPrompt, zodPrompt] });
    try {
      const session = await initialize(handler);
      const result = (await rpc(handler, session, "prompts/get", {
        name: "summarise",
        arguments: { text: "abc" },
      })).message.result;
      assert.deepEqual(result, {
        messages: [{ role: "user", content: { type: "text", text: "Summarise: abc" } }],
      });
      const review =
        (await rpc(handler, session, "prompts/get", { name: "review", arguments: { code: "x=1" } }))
          .message.result;
      assert.equal(review.messages[0].content.text, "Review x=1");
    } finally {
      await handler.close();
    }
  });

  it("prompts/get with a missing required argument answers -32602 (list and zod arguments)", async () => {
    const handler = makeHandler({ prompts: [listPrompt, zodPrompt] });
    try {
      const session = await initialize(handler);
      const list = (await rpc(handler, session, "prompts/get", {
        name: "summarise",
        arguments: { style: "short" },
      })).message;
      assert.equal(list.error.code, -32602);
      assert.match(list.error.message, /text/);
      const zodded =
        (await rpc(handler, session, "prompts/get", { name: "review", arguments: {} })).message;
      assert.equal(zodded.error.code, -32602);
    } finally {
      await handler.close();
    }
  });

  it("prompts/get of an unknown prompt answers -32602", async () => {
    const handler = makeHandler({ prompts: [listPrompt] });
    try {
      const session = await initialize(handler);
      assert.equal(
        (await rpc(handler, session, "prompts/get", { name: "nope" })).message.error.code,
        -32602,
      );
    } finally {
      await handler.close();
    }
  });

  it("completion/complete suggests values for a prompt argument", async () => {
    const handler = makeHandler({ prompts: [listPrompt, zodPrompt] });
    try {
      const session = await initialize(handler);
      const result = (await rpc(handler, session, "completion/complete", {
        ref: { type: "ref/prompt", name: "review" },
        argument: { name: "lang", value: "p" },
      })).message.result;
      assert.deepEqual(result, {
        completion: { values: ["python", "perl"], total: 2, hasMore: false },
      });
      // An argument without a completer completes to nothing.
      const none = (await rpc(handler, session, "completion/complete", {
        ref: { type: "ref/prompt", name: "review" },
        argument: { name: "code", value: "" },
      })).message.result;
      assert.deepEqual(none.completion.values, []);
    } finally {
      await handler.close();
    }
  });

  it("completion/complete suggests template variables, caps values at 100, and refuses bad references", async () => {
    const handler = makeHandler({
      prompts: [zodPrompt],
      resourceTemplates: [defineResourceTemplate({
        uriTemplate: "files://{path}",
        name: "file",
        read: () => "",
        complete: {
          path: (value, context) =>
            Array.from({ length: 150 }, (_, i) => `${value}${i}${context.arguments.x ?? ""}`),
        },
      })],
    });
    try {
      const session = await initialize(handler);
      const result = (await rpc(handler, session, "completion/complete", {
        ref: { type: "ref/resource", uri: "files://{path}" },
        argument: { name: "path", value: "a" },
        context: { arguments: { x: "!" } },
      })).message.result.completion;
      assert.equal(result.values.length, 100);
      assert.equal(result.values[0], "a0!");
      assert.equal(result.total, 150);
      assert.equal(result.hasMore, true);
      const badRef = await rpc(handler, session, "completion/complete", {
        ref: { type: "ref/resource", uri: "nope://{x}" },
        argument: { name: "x", value: "" },
      });
      assert.equal(badRef.message.error.code, -32602);
      const badType = await rpc(handler, session, "completion/complete", {
        ref: { type: "ref/other" },
        argument: { name: "x", value: "" },
      });
      assert.equal(badType.message.error.code, -32602);
      const unknownPrompt = await rpc(handler, session, "completion/complete", {
        ref: { type: "ref/prompt", name: "nope" },
        argument: { name: "x", value: "" },
      });
      assert.equal(unknownPrompt.message.error.code, -32602);
      const missingArgument = await rpc(handler, session, "completion/complete", {
        ref: { type: "ref/prompt", name: "review" },
      });
      assert.equal(missingArgument.message.error.code, -32602);
    } finally {
      await handler.close();
    }
  });
});

describe("logging", () => {
  const chatty = defineTool({
    name: "chatty",
    handler: async (_input, ctx) => {
      await ctx.log("debug", "d");
      await ctx.log("info", "i");
      await ctx.log("warning", "w", "my-logger");
      await ctx.log("error", "e");
      return "done";
    },
  });

  it("logging/setLevel with an invalid level answers -32602", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      assert.equal(
        (await rpc(handler, session, "logging/setLevel", { level: "verbose" })).message.error.code,
        -32602,
      );
      assert.equal(
        (await rpc(handler, session, "logging/setLevel", {})).message.error.code,
        -32602,
      );
    } finally {
      await handler.close();
    }
  });

  it("without a level every ctx.log message is sent; after setLevel warning, lower ones are not", async () => {
    const handler = makeHandler({ tools: [chatty], streams: { responseMode: "sse" } });
    try {
      const session = await initialize(handler);
      const levels = async () => {
        const outcome = await rpc(handler, session, "tools/call", { name: "chatty" });
        assert.match(outcome.contentType, /^text\/event-stream/);
        assert.equal(outcome.message.result.content[0].text, "done");
        return outcome.messages.filter((m) => m.method === "notifications/message").map((m) =>
          m.params.level
        );
      };
      assert.deepEqual(await levels(), ["debug", "info", "warning", "error"]);
      assert.deepEqual(
        (await rpc(handler, session, "logging/setLevel", { level: "warning" })).message.result,
        {},
      );
      assert.deepEqual(await levels(), ["warning", "error"]);
    } finally {
      await handler.close();
    }
  });

  it("notifications/message carries level, logger and data", async () => {
    const handler = makeHandler({ tools: [chatty], streams: { responseMode: "sse" } });
    try {
      const session = await initialize(handler);
      await rpc(handler, session, "logging/setLevel", { level: "warning" });
      const outcome = await rpc(handler, session, "tools/call", { name: "chatty" });
      const first = outcome.messages.find((m) => m.method === "notifications/message");
      assert.deepEqual(first, {
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "warning", data: "w", logger: "my-logger" },
      });
    } finally {
      await handler.close();
    }
  });

  it("the log level is per session", async () => {
    const handler = makeHandler({ tools: [chatty], streams: { responseMode: "sse" } });
    try {
      const a = await initialize(handler);
      const b = await initialize(handler);
      await rpc(handler, a, "logging/setLevel", { level: "error" });
      const count = async (s: typeof a) =>
        (await rpc(handler, s, "tools/call", { name: "chatty" })).messages.filter((m) =>
          m.method === "notifications/message"
        ).length;
      assert.equal(await count(a), 1);
      assert.equal(await count(b), 4);
    } finally {
      await handler.close();
    }
  });
});
