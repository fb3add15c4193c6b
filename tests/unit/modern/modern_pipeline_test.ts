/**
 * The 2026-07-28 pipeline in process: classification beside the legacy era,
 * the envelope and header ladder in the spec's order, discover, result
 * encoding, request-scoped notifications, cancellation by disconnect,
 * multi-round-trip requests with a sealed requestState, and
 * subscriptions/listen.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { definePrompt, defineResource, defineTool, type McpHandler } from "../../../mod.ts";
import {
  bodilessRequest,
  deferred,
  initialize,
  initializeMessage,
  makeHandler,
  messagesOf,
  postRequest,
  readAnswer,
  readSseUntil,
  rpc,
  within,
} from "../../helpers.ts";
import { MODERN, modernRequest, modernRpc } from "../../support/modern_helpers.ts";

const SERVER_INFO = "io.modelcontextprotocol/serverInfo";

function fixture(extra: Parameters<typeof makeHandler>[0] = {}): McpHandler {
  return makeHandler({
    instructions: "be nice",
    tools: [
      defineTool({
        name: "echo",
        input: { type: "object", properties: { text: { type: "string" } } },
        handler: (input) => String((input as { text?: string }).text ?? ""),
      }),
      defineTool({
        name: "ask",
        handler: async (_input, ctx) => {
          const answer = await ctx.elicit({
            message: "Name?",
            requestedSchema: { type: "object", properties: { name: { type: "string" } } },
          }, { key: "user_name" });
          return `Hello, ${answer.action === "accept" ? answer.content?.name : answer.action}`;
        },
      }),
      defineTool({
        name: "two_rounds",
        handler: async (_input, ctx) => {
          const first = await ctx.elicit({
            message: "First?",
            requestedSchema: { type: "object", properties: {} },
          }, { key: "step1" });
          const second = await ctx.elicit({
            message: "Second?",
            requestedSchema: { type: "object", properties: {} },
          }, { key: "step2" });
          return `${first.action}/${second.action}`;
        },
      }),
      defineTool({
        name: "needs_sampling",
        handler: async (_input, ctx) =>
          JSON.stringify((await ctx.sample({ messages: [], maxTokens: 1 })).content),
      }),
      defineTool({
        name: "chatty",
        handler: async (_input, ctx) => {
          await ctx.log("info", "hello");
          await ctx.progress(1, 2);
          await ctx.progress(2, 2);
          return "done";
        },
      }),
      defineTool({
        name: "routed",
        input: {
          type: "object",
          properties: { region: { type: "string", "x-mcp-header": "Region" } },
        },
        handler: (input) => `region ${(input as { region?: string }).region}`,
      }),
    ],
    resources: [
      defineResource({
        uri: "docs://readme",
        name: "readme",
        read: () => "# hi",
        cache: { ttlMs: 60_000, cacheScope: "public" },
      }),
    ],
    prompts: [definePrompt({ name: "hello", handler: () => "Say hello" })],
    ...extra,
  });
}

describe("2026-07-28: classification beside the sessionful era", () => {
  it("server/discover answers versions, capabilities, instructions and serverInfo in _meta", async () => {
    const handler = fixture();
    try {
      const outcome = await modernRpc(handler, "server/discover", {}, { id: 201 });
      assert.equal(outcome.status, 200);
      const result = outcome.message.result;
      assert.deepEqual(result.supportedVersions, [MODERN]);
      assert.equal(result.resultType, "complete");
      assert.deepEqual(result.capabilities.tools, { listChanged: true });
      assert.equal(result.instructions, "be nice");
      assert.equal(result._meta[SERVER_INFO].name, "test-server");
      assert.equal(result.ttlMs, 0);
      assert.equal(result.cacheScope, "private");
      assert.equal("serverInfo" in result, false);
      assert.equal(outcome.response.headers.get("mcp-session-id"), null);
    } finally {
      await handler.close();
    }
  });

  it("a legacy initialize is served by its body even with a 2026 MCP-Protocol-Version header", async () => {
    const handler = fixture();
    try {
      const response = await handler(
        postRequest(initializeMessage("2025-11-25"), {
          headers: { "mcp-protocol-version": MODERN },
        }),
      );
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(
        body.result.protocolVersion,
        "2025-11-25",
        "initialize never negotiates a modern version",
      );
      assert.ok(response.headers.get("mcp-session-id"));
      const asksModern = await (await handler(postRequest(initializeMessage(MODERN)))).json();
      assert.equal(asksModern.result.protocolVersion, "2025-11-25");
    } finally {
      await handler.close();
    }
  });

  it("sessions keep working beside modern traffic; modern requests ignore Mcp-Session-Id", async () => {
    const handler = fixture();
    try {
      const session = await initialize(handler);
      const legacy = await rpc(handler, session, "tools/call", {
        name: "echo",
        arguments: { text: "old" },
      });
      assert.equal(legacy.message.result.content[0].text, "old");
      assert.equal("resultType" in legacy.message.result, false, "the legacy wire is unchanged");
      const modern = await modernRpc(handler, "tools/call", {
        name: "echo",
        arguments: { text: "new" },
      }, { headers: { "mcp-session-id": "not-a-session" } });
      assert.equal(modern.status, 200);
      assert.equal(modern.message.result.content[0].text, "new");
      assert.equal(modern.message.result.resultType, "complete");
    } finally {
      await handler.close();
    }
  });

  it("no claim with a modern header is -32602; a batch with a claim is -32600; GET/DELETE with a modern header are 405", async () => {
    const handler = fixture();
    try {
      const missing = await modernRpc(handler, "tools/list", {}, { meta: null, id: 101 });
      assert.equal(missing.status, 400);
      assert.equal(missing.message.error.code, -32602);
      assert.equal(missing.message.id, 101);
      const batch = modernRequest("tools/list");
      const body = await batch.json();
      const batchResponse = await handler(postRequest([body, body]));
      assert.equal(batchResponse.status, 400);
      assert.equal((await batchResponse.json()).error.code, -32600);
      for (const method of ["GET", "DELETE"]) {
        const response = await handler(bodilessRequest(method, { protocolVersion: MODERN }));
        assert.equal(response.status, 405);
        assert.equal(response.headers.get("allow"), "POST");
        await response.body?.cancel();
      }
    } finally {
      await handler.close();
    }
  });
});

describe("2026-07-28: the envelope and header ladder", () => {
  it("envelope errors are 400 -32602 with the request id; clientInfo is optional", async () => {
    const handler = fixture();
    try {
      const noCaps = await handler(
        new Request(
          modernRequest("server/discover", {}, {
            id: 104,
            meta: { "io.modelcontextprotocol/clientCapabilities": undefined },
          }),
        ),
      );
      const body = await noCaps.json();
      assert.equal(noCaps.status, 400);
      assert.deepEqual([body.id, body.error.code], [104, -32602]);
      const noInfo = await modernRpc(handler, "server/discover", {}, {
        id: 105,
        meta: { "io.modelcontextprotocol/clientInfo": undefined },
      });
      assert.equal(noInfo.status, 200);
      const badLevel = await modernRpc(handler, "tools/list", {}, {
        meta: { "io.modelcontextprotocol/logLevel": "loud" },
      });
      assert.equal(badLevel.message.error.code, -32602);
    } finally {
      await handler.close();
    }
  });

  it("orders checks: header/claim mismatch (-32020) before unsupported version (-32022)", async () => {
    const handler = fixture();
    try {
      const mismatch = await modernRpc(handler, "server/discover", {}, {
        id: 302,
        version: "v999.0.0",
        headers: { "mcp-protocol-version": MODERN },
      });
      assert.equal(mismatch.status, 400);
      assert.equal(mismatch.message.error.code, -32020);
      assert.equal(mismatch.message.id, 302);
      const unsupported = await modernRpc(handler, "server/discover", {}, {
        id: 301,
        version: "v999.0.0",
      });
      assert.equal(unsupported.status, 400);
      assert.equal(unsupported.message.error.code, -32022);
      assert.deepEqual(unsupported.message.error.data, {
        supported: [MODERN],
        requested: "v999.0.0",
      });
      const legacyClaim = await modernRpc(handler, "tools/list", {}, { version: "2025-11-25" });
      assert.equal(
        legacyClaim.message.error.code,
        -32022,
        "a legacy version in _meta is not a modern one",
      );
    } finally {
      await handler.close();
    }
  });

  it("Mcp-Method and Mcp-Name must match the body (values case-sensitive, whitespace trimmed)", async () => {
    const handler = fixture();
    try {
      for (
        const headers of [{ "mcp-method": "prompts/list" }, { "mcp-method": undefined }, {
          "mcp-method": "TOOLS/LIST",
        }, { "mcp-protocol-version": undefined }]
      ) {
        const outcome = await modernRpc(handler, "tools/list", {}, { headers });
        assert.equal(outcome.status, 400, JSON.stringify(headers));
        assert.equal(outcome.message.error.code, -32020);
      }
      const wrongName = await modernRpc(handler, "tools/call", { name: "echo", arguments: {} }, {
        headers: { "mcp-name": "wrong_tool_name" },
      });
      assert.equal(wrongName.message.error.code, -32020);
      const noName = await modernRpc(handler, "tools/call", { name: "echo", arguments: {} }, {
        headers: { "mcp-name": undefined },
      });
      assert.equal(noName.message.error.code, -32020);
      const spaced = await modernRpc(handler, "tools/call", {
        name: "echo",
        arguments: { text: "ok" },
      }, { headers: { "mcp-name": "  echo  " } });
      assert.equal(spaced.message.result.content[0].text, "ok");
    } finally {
      await handler.close();
    }
  });

  it("Mcp-Param-* must carry x-mcp-header arguments (base64 form accepted)", async () => {
    const handler = fixture();
    try {
      const missing = await modernRpc(handler, "tools/call", {
        name: "routed",
        arguments: { region: "eu" },
      });
      assert.equal(missing.status, 400);
      assert.equal(missing.message.error.code, -32020);
      const plain = await modernRpc(handler, "tools/call", {
        name: "routed",
        arguments: { region: "eu" },
      }, { headers: { "mcp-param-region": "eu" } });
      assert.equal(plain.message.result.content[0].text, "region eu");
      const encoded = await modernRpc(handler, "tools/call", {
        name: "routed",
        arguments: { region: "Hello" },
      }, { headers: { "mcp-param-region": "=?base64?SGVsbG8=?=" } });
      assert.equal(encoded.message.result.content[0].text, "region Hello");
      const wrong = await modernRpc(handler, "tools/call", {
        name: "routed",
        arguments: { region: "eu" },
      }, { headers: { "mcp-param-region": "us" } });
      assert.equal(wrong.message.error.code, -32020);
    } finally {
      await handler.close();
    }
  });

  it("removed and unknown methods are 404 -32601 with the request id", async () => {
    const handler = fixture();
    try {
      for (
        const method of [
          "initialize",
          "ping",
          "logging/setLevel",
          "resources/subscribe",
          "resources/unsubscribe",
          "unknown/method",
        ]
      ) {
        const outcome = await modernRpc(
          handler,
          method,
          method === "initialize" ? { protocolVersion: MODERN, capabilities: {} } : {},
          { id: 500 },
        );
        assert.equal(outcome.status, 404, method);
        assert.equal(outcome.message.error.code, -32601);
        assert.equal(outcome.message.id, 500);
      }
    } finally {
      await handler.close();
    }
  });
});

describe("2026-07-28: results", () => {
  it("lists and reads carry resultType, cache hints (a resource's own wins) and serverInfo", async () => {
    const handler = fixture({
      stateless: {
        cacheHints: { "tools/list": { ttlMs: 5_000, cacheScope: "public" } },
      },
    });
    try {
      const tools = (await modernRpc(handler, "tools/list")).message.result;
      assert.deepEqual([tools.resultType, tools.ttlMs, tools.cacheScope], [
        "complete",
        5_000,
        "public",
      ]);
      assert.equal(tools._meta[SERVER_INFO].version, "1.0.0");
      const prompts = (await modernRpc(handler, "prompts/list")).message.result;
      assert.deepEqual([prompts.ttlMs, prompts.cacheScope], [0, "private"]);
      const read =
        (await modernRpc(handler, "resources/read", { uri: "docs://readme" })).message.result;
      assert.deepEqual([read.ttlMs, read.cacheScope, read.contents[0].text], [
        60_000,
        "public",
        "# hi",
      ]);
      const call =
        (await modernRpc(handler, "tools/call", { name: "echo", arguments: { text: "x" } })).message
          .result;
      assert.equal("ttlMs" in call, false, "tools/call results carry no cache hints");
    } finally {
      await handler.close();
    }
  });

  it("a missing resource is -32602 with data.uri (the legacy wire keeps -32002)", async () => {
    const handler = fixture();
    try {
      const modern = await modernRpc(handler, "resources/read", { uri: "test://nonexistent" });
      assert.equal(modern.message.error.code, -32602);
      assert.equal(modern.message.error.data.uri, "test://nonexistent");
      const session = await initialize(handler);
      const legacy = await rpc(handler, session, "resources/read", { uri: "test://nonexistent" });
      assert.equal(legacy.message.error.code, -32002);
    } finally {
      await handler.close();
    }
  });

  it("progress and logs go on the request's own SSE stream; logs only when the request named a level", async () => {
    const handler = fixture();
    try {
      const silent = await modernRpc(handler, "tools/call", { name: "chatty", arguments: {} });
      assert.equal(silent.messages.some((m) => m.method === "notifications/message"), false);
      const loud = await modernRpc(handler, "tools/call", { name: "chatty", arguments: {} }, {
        meta: { "io.modelcontextprotocol/logLevel": "debug", progressToken: "p1" },
      });
      assert.match(loud.contentType, /text\/event-stream/);
      assert.deepEqual(loud.messages.map((m) => m.method ?? "response"), [
        "notifications/message",
        "notifications/progress",
        "notifications/progress",
        "response",
      ]);
      assert.equal(
        loud.events.every((event) => event.id === undefined),
        true,
        "no event ids: nothing is resumable in this era",
      );
      assert.equal(loud.message.result.resultType, "complete");
    } finally {
      await handler.close();
    }
  });

  it("a tool needing an undeclared capability answers 400 -32021 with requiredCapabilities", async () => {
    const handler = fixture();
    try {
      const outcome = await modernRpc(handler, "tools/call", {
        name: "needs_sampling",
        arguments: {},
      }, { id: 401 });
      assert.equal(outcome.status, 400);
      assert.equal(outcome.message.error.code, -32021);
      assert.deepEqual(outcome.message.error.data.requiredCapabilities, { sampling: {} });
      assert.equal(outcome.message.id, 401);
    } finally {
      await handler.close();
    }
  });

  it("a tool that emits before its first await still answers on its stream, in auto and sse mode", async () => {
    for (const responseMode of ["auto", "sse"] as const) {
      const handler = makeHandler({
        streams: {
          responseMode,
        },
        tools: [defineTool({
          name: "eager",
          // Not async: the notification goes out while the call is still being started.
          handler: (_input, ctx) => {
            void ctx.progress(1, 2);
            return Promise.resolve("done");
          },
        })],
      });
      try {
        const outcome = await modernRpc(handler, "tools/call", { name: "eager", arguments: {} }, {
          meta: { progressToken: "e" },
        });
        assert.match(outcome.contentType, /text\/event-stream/, responseMode);
        assert.deepEqual(outcome.messages.map((m) => m.method ?? "response"), [
          "notifications/progress",
          "response",
        ], responseMode);
        assert.equal(outcome.message.result.content[0].text, "done");
        assert.equal((await handler.stats()).inFlight, 0);
      } finally {
        await handler.close();
      }
    }
  });

  it("closing the connection cancels the work: the handler's signal aborts", async () => {
    const started = deferred();
    const aborted = deferred<unknown>();
    const handler = makeHandler({
      tools: [defineTool({
        name: "wait",
        handler: async (_input, ctx) => {
          ctx.signal.addEventListener("abort", () => aborted.resolve(ctx.signal.reason));
          await ctx.progress(1);
          started.resolve();
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          return "never";
        },
      })],
    });
    try {
      const response = await handler(
        modernRequest("tools/call", { name: "wait", arguments: {} }, {
          meta: { progressToken: "t" },
        }),
      );
      await within(started.promise, 2_000, "the tool starts");
      await response.body!.cancel();
      assert.equal(await within(aborted.promise, 2_000, "the tool's signal aborts"), "client-gone");
      assert.equal((await handler.stats()).inFlight, 0);
    } finally {
      await handler.close();
    }
  });
});

describe("2026-07-28: multi-round-trip requests", () => {
  const CAPS = { elicitation: {}, sampling: {}, roots: {} };

  it("elicitation: input_required with a sealed requestState, then complete on retry", async () => {
    const handler = fixture();
    try {
      const first = await modernRpc(handler, "tools/call", { name: "ask", arguments: {} }, {
        capabilities: CAPS,
      });
      const result = first.message.result;
      assert.equal(result.resultType, "input_required");
      assert.equal(result.inputRequests.user_name.method, "elicitation/create");
      assert.equal(typeof result.requestState, "string");
      assert.equal("ttlMs" in result, false);
      const second = await modernRpc(handler, "tools/call", {
        name: "ask",
        arguments: {},
        inputResponses: { user_name: { action: "accept", content: { name: "Alice" } } },
        requestState: result.requestState,
      }, { capabilities: CAPS });
      assert.equal(second.message.result.resultType, "complete");
      assert.equal(second.message.result.content[0].text, "Hello, Alice");
    } finally {
      await handler.close();
    }
  });

  it("multi-round: each round's state differs and carries earlier answers", async () => {
    const handler = fixture();
    try {
      const r1 = (await modernRpc(handler, "tools/call", { name: "two_rounds", arguments: {} }, {
        capabilities: CAPS,
      })).message.result;
      assert.deepEqual(Object.keys(r1.inputRequests), ["step1"]);
      const r2 = (await modernRpc(handler, "tools/call", {
        name: "two_rounds",
        arguments: {},
        inputResponses: { step1: { action: "accept", content: {} } },
        requestState: r1.requestState,
      }, { capabilities: CAPS })).message.result;
      assert.deepEqual(Object.keys(r2.inputRequests), ["step2"]);
      assert.notEqual(r2.requestState, r1.requestState);
      const r3 = (await modernRpc(handler, "tools/call", {
        name: "two_rounds",
        arguments: {},
        inputResponses: { step2: { action: "decline" } },
        requestState: r2.requestState,
      }, { capabilities: CAPS })).message.result;
      assert.equal(r3.content[0].text, "accept/decline");
    } finally {
      await handler.close();
    }
  });

  it("a tampered, foreign or misplaced requestState answers one fixed -32602", async () => {
    const errors: unknown[] = [];
    const handler = fixture({ observe: { onError: (error) => errors.push(error) } });
    try {
      const state = (await modernRpc(handler, "tools/call", { name: "ask", arguments: {} }, {
        capabilities: CAPS,
      })).message.result.requestState;
      const answers = { user_name: { action: "accept", content: { name: "Eve" } } };
      for (
        const [name, requestState, args] of [
          ["ask", `${state}-TAMPERED`, {}],
          ["two_rounds", state, {}],
          ["ask", state, { extra: 1 }],
          ["ask", 42, {}],
        ] as const
      ) {
        const outcome = await modernRpc(handler, "tools/call", {
          name,
          arguments: args,
          inputResponses: answers,
          requestState,
        }, { capabilities: CAPS });
        assert.equal(
          outcome.message.error?.code,
          -32602,
          `${name} ${String(requestState).slice(-12)}`,
        );
        assert.equal(outcome.message.error.message, "Invalid or expired requestState");
      }
      assert.deepEqual(errors, [], "a client's bad state is an event, not a server error");
      // Positive control: the untouched state works.
      const ok = await modernRpc(handler, "tools/call", {
        name: "ask",
        arguments: {},
        inputResponses: answers,
        requestState: state,
      }, { capabilities: CAPS });
      assert.equal(ok.message.result.content[0].text, "Hello, Eve");
    } finally {
      await handler.close();
    }
  });

  it("answers without state complete directly; missing answers re-ask; malformed answers are errors", async () => {
    const handler = fixture();
    try {
      const direct = await modernRpc(handler, "tools/call", {
        name: "ask",
        arguments: {},
        inputResponses: { user_name: { action: "accept", content: { name: "Bo" } } },
      }, { capabilities: CAPS });
      assert.equal(direct.message.result.content[0].text, "Hello, Bo");
      const wrongKey = await modernRpc(handler, "tools/call", {
        name: "ask",
        arguments: {},
        inputResponses: { wrong_key: { action: "accept" } },
      }, { capabilities: CAPS });
      assert.equal(wrongKey.message.result.resultType, "input_required");
      for (const inputResponses of [{ user_name: 12345 }, null]) {
        const bad = await modernRpc(handler, "tools/call", {
          name: "ask",
          arguments: {},
          inputResponses,
        }, { capabilities: CAPS });
        assert.notEqual(bad.message.result?.resultType, "complete");
        assert.equal(bad.message.error?.code, -32602);
      }
    } finally {
      await handler.close();
    }
  });

  it("never asks for what the request's capabilities do not declare", async () => {
    const handler = fixture();
    try {
      const outcome = await modernRpc(handler, "tools/call", { name: "ask", arguments: {} }, {
        capabilities: { sampling: {} },
      });
      assert.equal(outcome.status, 400);
      assert.equal(outcome.message.error.code, -32021);
      assert.deepEqual(outcome.message.error.data.requiredCapabilities, { elicitation: {} });
    } finally {
      await handler.close();
    }
  });
});

describe("2026-07-28: subscriptions/listen", () => {
  it("acknowledges first, tags every message, filters, and ends with a result on close()", async () => {
    const handler = fixture();
    let closed = false;
    try {
      const response = await handler(
        modernRequest("subscriptions/listen", {
          notifications: { promptsListChanged: true, toolsListChanged: false },
        }, { id: "L1" }),
      );
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
      const reader = response.body!.getReader();
      const ack = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      const [first] = messagesOf(ack.events);
      assert.equal(first.method, "notifications/subscriptions/acknowledged");
      assert.deepEqual(first.params.notifications, { promptsListChanged: true });
      assert.equal(first.params._meta["io.modelcontextprotocol/subscriptionId"], "L1");
      handler.tools.add(defineTool({ name: "late", handler: () => "late" }));
      handler.prompts.add(definePrompt({ name: "late", handler: () => "late" }));
      const change = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      assert.deepEqual(messagesOf(change.events).map((m) => m.method), [
        "notifications/prompts/list_changed",
      ], "only the requested type");
      assert.equal(
        messagesOf(change.events)[0].params._meta["io.modelcontextprotocol/subscriptionId"],
        "L1",
      );
      await handler.close();
      closed = true;
      const end = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      const [result] = messagesOf(end.events);
      assert.equal(result.id, "L1");
      assert.equal(result.result.resultType, "complete");
      assert.equal(result.result._meta["io.modelcontextprotocol/subscriptionId"], "L1");
    } finally {
      if (!closed) await handler.close();
    }
  });

  it("a malformed filter is -32602 and the number of listen streams is bounded", async () => {
    const handler = fixture({ stateless: { maxListenStreams: 1 } });
    try {
      const bad = await modernRpc(handler, "subscriptions/listen", { notifications: "all" });
      assert.equal(bad.message.error.code, -32602);
      const open = await handler(
        modernRequest("subscriptions/listen", { notifications: { toolsListChanged: true } }),
      );
      const over = await readAnswer(
        await handler(
          modernRequest("subscriptions/listen", { notifications: { toolsListChanged: true } }),
        ),
      );
      assert.equal(over.message.error.code, -32603);
      await open.body!.cancel();
      assert.equal((await handler.stats()).openStreams, 0, "a closed listen stream is released");
    } finally {
      await handler.close();
    }
  });
});

describe("2026-07-28: one era only", () => {
  it("legacy-only answers discover with 404 -32601 so dual-era clients fall back", async () => {
    const handler = fixture({ eras: { modern: false } });
    try {
      const outcome = await modernRpc(handler, "server/discover", {}, { id: 9 });
      assert.equal(outcome.status, 404);
      assert.equal(outcome.message.error.code, -32601);
      assert.equal(outcome.message.id, 9);
      await initialize(handler);
    } finally {
      await handler.close();
    }
  });

  it("modern-only answers initialize with 400 -32022 and GET with 405", async () => {
    const handler = fixture({ eras: { legacy: false } });
    try {
      const response = await handler(postRequest(initializeMessage("2025-11-25", {}, 3)));
      const body = await response.json();
      assert.equal(response.status, 400);
      assert.deepEqual([body.id, body.error.code, body.error.data.requested], [
        3,
        -32022,
        "2025-11-25",
      ]);
      assert.equal((await handler(bodilessRequest("GET"))).status, 405);
      assert.equal((await modernRpc(handler, "tools/list")).status, 200);
    } finally {
      await handler.close();
    }
  });
});

describe("2026-07-28: requestState options", () => {
  it("a short key or a bad TTL fails at startup, not on the first call", () => {
    assert.throws(
      () => makeHandler({ stateless: { requestState: { keys: ["too short"] } } }),
      /keys\[0\] is shorter than 32 bytes/,
    );
    assert.throws(
      () => makeHandler({ stateless: { requestState: { ttlMs: Infinity } } }),
      RangeError,
    );
    assert.throws(() => makeHandler({ stateless: { requestState: { maxBytes: 0 } } }), RangeError);
  });

  it("states sealed with a shared key open on another instance; a different key is refused", async () => {
    const key = "a shared secret of at least thirty-two bytes!";
    const a = fixture({ stateless: { requestState: { keys: [key] } } });
    const b = fixture({ stateless: { requestState: { keys: [key] } } });
    const c = fixture({
      stateless: { requestState: { keys: ["another secret of at least thirty-two bytes"] } },
    });
    try {
      const CAPS = { elicitation: {} };
      const first =
        (await modernRpc(a, "tools/call", { name: "ask", arguments: {} }, { capabilities: CAPS }))
          .message.result;
      const retry = {
        name: "ask",
        arguments: {},
        inputResponses: { user_name: { action: "accept", content: { name: "Ada" } } },
        requestState: first.requestState,
      };
      assert.equal(
        (await modernRpc(b, "tools/call", retry, { capabilities: CAPS })).message.result.content[0]
          .text,
        "Hello, Ada",
      );
      assert.equal(
        (await modernRpc(c, "tools/call", retry, { capabilities: CAPS })).message.error.code,
        -32602,
      );
    } finally {
      await a.close();
      await b.close();
      await c.close();
    }
  });
});
