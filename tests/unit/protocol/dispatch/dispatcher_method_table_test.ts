/**
 * The dispatcher on its own: its method table driven with a plain
 * {@linkcode RequestContext}, no handler, no HTTP, no session. Each method's
 * happy path and its answer to bad params, what an unknown method gets, and
 * that a handler's crash becomes -32603 (reported to `onError`), never a throw.
 * A method still running hands its response to the caller's continuation
 * (`RunEnd`) when given one. The same methods through the whole handler are in
 * dispatcher_test.ts.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
  UrlElicitationRequiredError,
} from "../../../../mod.ts";
import { Dispatcher, type ServerDefinition } from "../../../../src/protocol/dispatch/dispatcher.ts";
import type { RequestContext } from "../../../../src/protocol/context/request_context.ts";
import { ANONYMOUS_PRINCIPAL } from "../../../../src/protocol/context/request_context.ts";
import { ErrorCode } from "../../../../src/jsonrpc/error_codes.ts";
import type {
  JsonRpcErrorResponse,
  JsonRpcResponse,
  JsonRpcResultResponse,
} from "../../../../src/jsonrpc/messages.ts";

/** A context that records what the dispatcher asked of the transport. */
function recordingContext() {
  const calls: string[] = [];
  const ctx: RequestContext = {
    protocolVersion: "2025-11-25",
    clientCapabilities: {},
    principal: ANONYMOUS_PRINCIPAL,
    signal: new AbortController().signal,
    notify: () => Promise.resolve(),
    setLogLevel: (level) => {
      calls.push(`setLogLevel ${level}`);
      return Promise.resolve();
    },
    subscribe: (uri) => {
      calls.push(`subscribe ${uri}`);
      return Promise.resolve();
    },
    unsubscribe: (uri) => {
      calls.push(`unsubscribe ${uri}`);
      return Promise.resolve();
    },
  };
  return { ctx, calls };
}

function fullDefinition(overrides: Partial<ServerDefinition> = {}): ServerDefinition {
  return {
    info: { name: "unit", version: "1.0.0" },
    tools: [
      defineTool({ name: "echo", handler: (input) => JSON.stringify(input) }),
      defineTool({ name: "second", handler: () => "2" }),
    ],
    resources: [defineResource({ uri: "docs://readme", name: "readme", read: () => "# Hi" })],
    resourceTemplates: [defineResourceTemplate({
      uriTemplate: "users://{id}",
      name: "user",
      read: (_uri, variables) => `user ${variables.id}`,
      complete: { id: () => ["ada", "alan"] },
    })],
    prompts: [definePrompt({
      name: "greet",
      arguments: [{ name: "who", required: true }],
      handler: (args) => `Hello ${args.who}`,
      complete: { who: (value) => ["world", "wide"].filter((w) => w.startsWith(value)) },
    })],
    pageSize: 100,
    maxUriBytes: 64,
    onError: () => {},
    ...overrides,
  };
}

let nextId = 0;
async function call(
  dispatcher: Dispatcher,
  method: string,
  params?: Record<string, unknown>,
  ctx: RequestContext = recordingContext().ctx,
): Promise<JsonRpcResponse> {
  const id = ++nextId;
  const response = await dispatcher.handle(
    { jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) },
    ctx,
  );
  assert.equal(response.id, id, "the response carries the request's id");
  return response;
}

function resultOf(response: JsonRpcResponse): Record<string, unknown> {
  assert.ok("result" in response, `a result, got ${JSON.stringify(response)}`);
  return (response as JsonRpcResultResponse).result;
}

function errorCodeOf(response: JsonRpcResponse): number {
  assert.ok("error" in response, `an error, got ${JSON.stringify(response)}`);
  return (response as JsonRpcErrorResponse).error.code;
}

describe("Dispatcher: lifecycle methods", () => {
  it("initialize negotiates the version and answers capabilities and serverInfo", async () => {
    const dispatcher = new Dispatcher(fullDefinition({ instructions: "Be brief" }));
    const result = resultOf(
      await call(dispatcher, "initialize", { protocolVersion: "2025-06-18", capabilities: {} }),
    );
    assert.equal(result.protocolVersion, "2025-06-18");
    assert.deepEqual(result.serverInfo, { name: "unit", version: "1.0.0" });
    assert.equal(result.instructions, "Be brief");
    assert.deepEqual(result.capabilities, dispatcher.capabilities);
  });

  it("initialize offers the latest version for one it does not know", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    const result = resultOf(
      await call(dispatcher, "initialize", { protocolVersion: "2099-01-01", capabilities: {} }),
    );
    assert.equal(result.protocolVersion, "2025-11-25");
  });

  it("initialize without a string protocolVersion or a capabilities object answers -32602", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    for (
      const params of [
        { capabilities: {} },
        { protocolVersion: 20251125, capabilities: {} },
        { protocolVersion: "2025-11-25" },
        { protocolVersion: "2025-11-25", capabilities: [] },
        { protocolVersion: "2025-11-25", capabilities: null },
      ]
    ) {
      assert.equal(
        errorCodeOf(await call(dispatcher, "initialize", params)),
        ErrorCode.InvalidParams,
        JSON.stringify(params),
      );
    }
  });

  it("ping answers an empty result, with or without params", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    assert.deepEqual(resultOf(await call(dispatcher, "ping")), {});
    assert.deepEqual(resultOf(await call(dispatcher, "ping", { anything: 1 })), {});
  });

  it("logging/setLevel stores a valid level through the context; a bad one answers -32602 and stores nothing", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    const { ctx, calls } = recordingContext();
    assert.deepEqual(
      resultOf(await call(dispatcher, "logging/setLevel", { level: "warning" }, ctx)),
      {},
    );
    assert.equal(
      errorCodeOf(await call(dispatcher, "logging/setLevel", { level: "loud" }, ctx)),
      ErrorCode.InvalidParams,
    );
    assert.equal(
      errorCodeOf(await call(dispatcher, "logging/setLevel", undefined, ctx)),
      ErrorCode.InvalidParams,
    );
    assert.deepEqual(calls, ["setLogLevel warning"]);
  });
});

describe("Dispatcher: unknown methods and the table's shape", () => {
  it("an unknown method answers -32601 naming it", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    const response = await call(dispatcher, "tools/explode");
    assert.equal(errorCodeOf(response), ErrorCode.MethodNotFound);
    assert.match((response as JsonRpcErrorResponse).error.message, /tools\/explode/);
  });

  it("a method of a capability that was not defined is not in the table (-32601), and serves() agrees", async () => {
    const dispatcher = new Dispatcher({
      info: { name: "bare", version: "1.0.0" },
      pageSize: 10,
      maxUriBytes: 64,
      onError: () => {},
    });
    for (
      const method of [
        "tools/list",
        "tools/call",
        "resources/read",
        "prompts/get",
        "completion/complete",
      ]
    ) {
      assert.equal(dispatcher.serves(method), false, method);
      assert.equal(errorCodeOf(await call(dispatcher, method, {})), ErrorCode.MethodNotFound);
    }
    assert.deepEqual(dispatcher.capabilities, { logging: {} });
    assert.equal(dispatcher.serves("ping"), true);
    assert.equal(dispatcher.serves("initialize"), true);
  });

  it("a full definition advertises every capability and serves its methods", () => {
    const dispatcher = new Dispatcher(fullDefinition());
    assert.deepEqual(dispatcher.capabilities, {
      logging: {},
      completions: {},
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
    });
    for (
      const method of [
        "tools/list",
        "tools/call",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "resources/subscribe",
        "resources/unsubscribe",
        "prompts/list",
        "prompts/get",
        "completion/complete",
      ]
    ) {
      assert.equal(dispatcher.serves(method), true, method);
    }
  });

  it("discover answers the versions given, the capabilities and the instructions", () => {
    const dispatcher = new Dispatcher(fullDefinition({ instructions: "Be brief" }));
    assert.deepEqual(dispatcher.discover(["2026-07-28"]), {
      supportedVersions: ["2026-07-28"],
      capabilities: dispatcher.capabilities,
      instructions: "Be brief",
    });
  });

  it("a handler that throws something other than McpError answers -32603 and reports it to onError", async () => {
    const reported: unknown[] = [];
    const boom = new Error("reader bug");
    const dispatcher = new Dispatcher(fullDefinition({
      resources: [defineResource({
        uri: "docs://broken",
        name: "broken",
        read: () => {
          throw boom;
        },
      })],
      onError: (error) => reported.push(error),
    }));
    const response = await call(dispatcher, "resources/read", { uri: "docs://broken" });
    assert.equal(errorCodeOf(response), ErrorCode.InternalError);
    assert.equal((response as JsonRpcErrorResponse).error.message, "Internal error");
    assert.deepEqual(reported, [boom]);
  });
});

describe("Dispatcher: tools", () => {
  it("tools/list lists the tools, paged by pageSize with a cursor", async () => {
    const dispatcher = new Dispatcher(fullDefinition({ pageSize: 1 }));
    const first = resultOf(await call(dispatcher, "tools/list"));
    assert.deepEqual((first.tools as { name: string }[]).map((t) => t.name), ["echo"]);
    assert.equal(typeof first.nextCursor, "string");
    const second = resultOf(await call(dispatcher, "tools/list", { cursor: first.nextCursor }));
    assert.deepEqual((second.tools as { name: string }[]).map((t) => t.name), ["second"]);
    assert.equal(second.nextCursor, undefined);
  });

  it("tools/list with a cursor it did not issue answers -32602", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    assert.equal(
      errorCodeOf(await call(dispatcher, "tools/list", { cursor: "forged" })),
      ErrorCode.InvalidParams,
    );
  });

  it("tools/call runs the tool with its arguments", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    const result = resultOf(
      await call(dispatcher, "tools/call", { name: "echo", arguments: { a: 1 } }),
    );
    assert.deepEqual(result.content, [{ type: "text", text: '{"a":1}' }]);
  });

  it("tools/call without a name, with an unknown one, or with non-object arguments answers -32602", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    for (
      const params of [{}, { name: 7 }, { name: "nope" }, { name: "echo", arguments: [1] }]
    ) {
      assert.equal(
        errorCodeOf(await call(dispatcher, "tools/call", params)),
        ErrorCode.InvalidParams,
        JSON.stringify(params),
      );
    }
  });
});

describe("Dispatcher: resources", () => {
  it("resources/list and resources/templates/list list what was defined", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    const resources = resultOf(await call(dispatcher, "resources/list")).resources as {
      uri: string;
    }[];
    assert.deepEqual(resources.map((r) => r.uri), ["docs://readme"]);
    const templates = resultOf(await call(dispatcher, "resources/templates/list"))
      .resourceTemplates as { uriTemplate: string }[];
    assert.deepEqual(templates.map((t) => t.uriTemplate), ["users://{id}"]);
  });

  it("resources/read reads a fixed resource and a template match", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    assert.deepEqual(
      resultOf(await call(dispatcher, "resources/read", { uri: "docs://readme" })).contents,
      [{ uri: "docs://readme", text: "# Hi" }],
    );
    assert.deepEqual(
      resultOf(await call(dispatcher, "resources/read", { uri: "users://ada" })).contents,
      [{ uri: "users://ada", text: "user ada" }],
    );
  });

  it("resources/read of an unknown uri answers -32002; without a string uri, or one over maxUriBytes, -32602", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    assert.equal(
      errorCodeOf(await call(dispatcher, "resources/read", { uri: "docs://missing" })),
      ErrorCode.ResourceNotFound,
    );
    for (const params of [{}, { uri: 1 }, { uri: `docs://${"x".repeat(64)}` }]) {
      assert.equal(
        errorCodeOf(await call(dispatcher, "resources/read", params)),
        ErrorCode.InvalidParams,
      );
    }
  });

  it("resources/subscribe and unsubscribe hand the uri to the context; a bad uri reaches no store", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    const { ctx, calls } = recordingContext();
    assert.deepEqual(
      resultOf(await call(dispatcher, "resources/subscribe", { uri: "docs://readme" }, ctx)),
      {},
    );
    assert.deepEqual(
      resultOf(await call(dispatcher, "resources/unsubscribe", { uri: "docs://readme" }, ctx)),
      {},
    );
    for (const method of ["resources/subscribe", "resources/unsubscribe"]) {
      assert.equal(errorCodeOf(await call(dispatcher, method, {}, ctx)), ErrorCode.InvalidParams);
      assert.equal(
        errorCodeOf(await call(dispatcher, method, { uri: "x".repeat(65) }, ctx)),
        ErrorCode.InvalidParams,
      );
    }
    assert.deepEqual(calls, ["subscribe docs://readme", "unsubscribe docs://readme"]);
  });
});

describe("Dispatcher: prompts and completion", () => {
  it("prompts/list derives the arguments; prompts/get builds the messages", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    assert.deepEqual(resultOf(await call(dispatcher, "prompts/list")).prompts, [
      { name: "greet", arguments: [{ name: "who", required: true }] },
    ]);
    const result = resultOf(
      await call(dispatcher, "prompts/get", { name: "greet", arguments: { who: "you" } }),
    );
    assert.deepEqual(result.messages, [
      { role: "user", content: { type: "text", text: "Hello you" } },
    ]);
  });

  it("prompts/get without a name, of an unknown prompt, or missing a required argument answers -32602", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    for (
      const params of [{}, { name: "nope" }, { name: "greet" }, { name: "greet", arguments: 1 }]
    ) {
      assert.equal(
        errorCodeOf(await call(dispatcher, "prompts/get", params)),
        ErrorCode.InvalidParams,
        JSON.stringify(params),
      );
    }
  });

  it("completion/complete suggests a prompt argument's values and a template variable's", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    assert.deepEqual(
      resultOf(
        await call(dispatcher, "completion/complete", {
          ref: { type: "ref/prompt", name: "greet" },
          argument: { name: "who", value: "wo" },
        }),
      ).completion,
      { values: ["world"], total: 1, hasMore: false },
    );
    assert.deepEqual(
      resultOf(
        await call(dispatcher, "completion/complete", {
          ref: { type: "ref/resource", uri: "users://{id}" },
          argument: { name: "id", value: "" },
        }),
      ).completion,
      { values: ["ada", "alan"], total: 2, hasMore: false },
    );
  });

  it("completion/complete without ref or argument, with an unknown ref type or resource, answers -32602", async () => {
    const dispatcher = new Dispatcher(fullDefinition());
    const argument = { name: "who", value: "" };
    for (
      const params of [
        {},
        { ref: { type: "ref/prompt", name: "greet" } },
        { argument },
        { ref: { type: "ref/prompt", name: "greet" }, argument: { name: "who" } },
        { ref: { type: "ref/tool", name: "echo" }, argument },
        { ref: { type: "ref/resource", uri: "nothing://here" }, argument },
      ]
    ) {
      assert.equal(
        errorCodeOf(await call(dispatcher, "completion/complete", params)),
        ErrorCode.InvalidParams,
        JSON.stringify(params),
      );
    }
  });
});

describe("Dispatcher: a running method's continuation (RunEnd)", () => {
  it("hands a running method's response to `end` and resolves to what it returns; a synchronous one is returned as it is", async () => {
    let finish!: (value: string) => void;
    const dispatcher = new Dispatcher(fullDefinition({
      tools: [
        defineTool({ name: "slow", handler: () => new Promise<string>((r) => (finish = r)) }),
        defineTool({ name: "quick", handler: () => "now" }),
      ],
    }));
    const seen: (JsonRpcResponse | undefined)[] = [];
    const end = { responded: (response: JsonRpcResponse | undefined) => (seen.push(response), 42) };
    const ctx = recordingContext().ctx;
    const quick = dispatcher.handle(
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "quick" } },
      ctx,
      end,
    );
    assert.ok(!(quick instanceof Promise), "a synchronous tool is answered at once");
    assert.deepEqual(resultOf(quick as JsonRpcResponse).content, [{ type: "text", text: "now" }]);
    assert.equal(seen.length, 0, "`end` is for a method still running");
    const running = dispatcher.handle(
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "slow" } },
      ctx,
      end,
    );
    assert.ok(running instanceof Promise);
    finish("late");
    assert.equal(await running, 42);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.id, 2);
    assert.deepEqual(resultOf(seen[0]!).content, [{ type: "text", text: "late" }]);
  });

  it("hands `end` a running tool's failure as its response: a throw as an isError result, a URL elicitation as its error", async () => {
    const fails: ((error: Error) => void)[] = [];
    const pending = () => new Promise<string>((_, reject) => fails.push(reject));
    const dispatcher = new Dispatcher(fullDefinition({
      tools: [defineTool({ name: "fails", handler: pending })],
    }));
    const seen: (JsonRpcResponse | undefined)[] = [];
    const end = { responded: (response: JsonRpcResponse | undefined) => void seen.push(response) };
    const runs = [4, 5].map((id) =>
      dispatcher.handle(
        { jsonrpc: "2.0", id, method: "tools/call", params: { name: "fails" } },
        recordingContext().ctx,
        end,
      )
    );
    fails[0](new Error("tool broke"));
    fails[1](
      new UrlElicitationRequiredError({
        elicitationId: "e1",
        url: "https://example.com/link",
        message: "Link first",
      }),
    );
    await Promise.all(runs);
    assert.equal(seen[0]?.id, 4);
    assert.equal(resultOf(seen[0]!).isError, true);
    assert.equal(seen[1]?.id, 5);
    assert.equal(errorCodeOf(seen[1]!), ErrorCode.UrlElicitationRequired);
  });

  it("hands `end` no response and rejects when answering a running method's failure throws (onError), audited or not", async () => {
    // The audited path (audited_call.ts) keeps the same contract.
    for (const audit of [undefined, { active: () => true, finished: () => {} }]) {
      let fail!: (error: Error) => void;
      // A method outside the tools' own error handling: resources/read of a reader that rejects.
      const broken = new Dispatcher(fullDefinition({
        resources: [defineResource({
          uri: "docs://late",
          name: "late",
          read: () => new Promise<string>((_, reject) => (fail = reject)),
        })],
        onError: () => {
          throw new Error("onError broke");
        },
        audit,
      }));
      const seen: (JsonRpcResponse | undefined)[] = [];
      const running = broken.handle(
        { jsonrpc: "2.0", id: 3, method: "resources/read", params: { uri: "docs://late" } },
        recordingContext().ctx,
        { responded: (response) => void seen.push(response) },
      );
      assert.ok(running instanceof Promise);
      fail(new Error("read failed"));
      await assert.rejects(running, /onError broke/);
      assert.deepEqual(seen, [undefined], audit === undefined ? "unaudited" : "audited");
    }
  });
});
