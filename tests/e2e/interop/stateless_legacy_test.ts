/**
 * 2025 clients without sessions (`eras: { legacy: "stateless" }`): raw
 * requests without (or with a stale) `Mcp-Session-Id` are served, GET and
 * DELETE answer 405, and the official SDK v1 and v2 clients connect, list and
 * call with progress, and answer an elicitation (its reply is a POST without a
 * session); `ctx.session` is undefined. 2026-07-28 requests are unaffected.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from "@modelcontextprotocol/client";
import { createMcpHandler, defineTool, type McpHandlerOptions } from "../../../mod.ts";
import { tasksExtension } from "../../../src/extensions/tasks/mod.ts";
import { blockingTool } from "../../blocking_tool.ts";
import {
  abortReason,
  ACCEPT_BOTH,
  bodilessRequest,
  initializeMessage,
  messagesOf,
  parseSse,
  postRequest,
  readAnswer,
  within,
} from "../../helpers.ts";
import {
  CallToolResultSchema,
  Client,
  ElicitRequestSchema,
  StreamableHTTPClientTransport,
  withServer,
} from "./helpers.ts";

const NAME_FORM = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };

const tools = [
  defineTool({
    name: "add",
    input: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
    handler: (input) => {
      const { a, b } = input as { a: number; b: number };
      return String(a + b);
    },
  }),
  defineTool({
    name: "steps",
    handler: async (_input, ctx) => {
      for (let i = 1; i <= 3; i++) await ctx.progress(i, 3);
      return "stepped";
    },
  }),
  defineTool({
    name: "greet",
    handler: async (_input, ctx) => {
      const answer = await ctx.elicit({ message: "Name?", requestedSchema: NAME_FORM });
      return `Hello, ${answer.action}`;
    },
  }),
  defineTool({
    name: "has_session",
    handler: (_input, ctx) => String(ctx.session !== undefined),
  }),
];

const OPTIONS: Omit<McpHandlerOptions, "name" | "version"> = {
  tools,
  eras: { legacy: "stateless" },
  observe: {
    onError: () => {},
  },
};

function handler() {
  return createMcpHandler({ name: "stateless", version: "1.0.0", ...OPTIONS });
}

const call = (id: number, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

describe("eras.legacy stateless: raw requests", () => {
  it("initialize issues no session id and advertises no listChanged or subscribe", async () => {
    const mcp = handler();
    try {
      const response = await mcp(postRequest(initializeMessage()));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("mcp-session-id"), null);
      const body = await response.json();
      assert.equal(body.result.protocolVersion, "2025-11-25");
      const capabilities = body.result.capabilities;
      assert.equal(capabilities.tools.listChanged, undefined);
      assert.equal(capabilities.resources?.subscribe, undefined);
    } finally {
      await mcp.close();
    }
  });

  it("serves requests without a session id, and with a stale one (never 404)", async () => {
    const mcp = handler();
    try {
      const initialized = await mcp(
        postRequest({ jsonrpc: "2.0", method: "notifications/initialized" }, {
          protocolVersion: "2025-11-25",
        }),
      );
      assert.equal(initialized.status, 202);
      const listed = await readAnswer(
        await mcp(
          postRequest({ jsonrpc: "2.0", id: 1, method: "tools/list" }, {
            protocolVersion: "2025-11-25",
          }),
        ),
      );
      assert.equal(listed.status, 200);
      assert.deepEqual(
        (listed.message.result as { tools: { name: string }[] }).tools.map((t) => t.name),
        ["add", "steps", "greet", "has_session"],
      );
      const stale = await readAnswer(
        await mcp(
          postRequest(call(2, "add", { a: 2, b: 3 }), {
            sessionId: "gone-long-ago",
            protocolVersion: "2025-11-25",
          }),
        ),
      );
      assert.equal(stale.status, 200);
      assert.deepEqual(stale.message.result, { content: [{ type: "text", text: "5" }] });
    } finally {
      await mcp.close();
    }
  });

  it("answers progress on the POST's own stream, without a priming event", async () => {
    const mcp = handler();
    try {
      const response = await mcp(
        postRequest({
          ...call(1, "steps"),
          params: { name: "steps", _meta: { progressToken: "p" } },
        }, {
          protocolVersion: "2025-11-25",
        }),
      );
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const text = await response.text();
      const data = messagesOf(parseSse(text));
      assert.deepEqual(data.map((m) => m.params?.progress ?? m.result?.content[0].text), [
        1,
        2,
        3,
        "stepped",
      ]);
      assert.ok(!text.includes("data: \n"), "no priming event: nothing can be resumed");
      const stats = await mcp.stats();
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.openStreams, 0);
    } finally {
      await mcp.close();
    }
  });

  it("GET and DELETE answer 405 with Allow: POST", async () => {
    const mcp = handler();
    try {
      for (const method of ["GET", "DELETE"]) {
        const response = await mcp(
          bodilessRequest(method, { sessionId: "any", protocolVersion: "2025-11-25" }),
        );
        assert.equal(response.status, 405, method);
        assert.equal(response.headers.get("allow"), "POST");
        await response.body?.cancel();
      }
    } finally {
      await mcp.close();
    }
  });

  it("ctx.session is undefined", async () => {
    const mcp = handler();
    try {
      const session = await readAnswer(await mcp(postRequest(call(1, "has_session"))));
      assert.deepEqual(session.message.result, { content: [{ type: "text", text: "false" }] });
    } finally {
      await mcp.close();
    }
  });

  it("ctx.elicit goes on the POST's stream; the reply, a POST without a session, settles it", async () => {
    const mcp = createMcpHandler({
      name: "stateless",
      version: "1.0.0",
      ...OPTIONS,
      auth: {
        authenticate: (request) => ({ id: request.headers.get("x-user") ?? "alice" }),
      },
    });
    try {
      const response = await mcp(postRequest(call(1, "greet"), { protocolVersion: "2025-11-25" }));
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("elicitation/create")) {
        const { done, value } = await within(reader.read(), 5_000, "the elicitation request");
        assert.ok(!done, "the stream carries the elicitation request");
        text += value;
      }
      const asked = JSON.parse(
        text.split("\n").find((line) => line.includes("elicitation/create"))!.slice(6),
      );
      // A reply to an id no one asked, or from another principal, is dropped (202);
      // the asked principal's settles the call.
      const replies = [
        { id: `${asked.id}-forged`, user: "alice", action: "decline" },
        { id: asked.id, user: "mallory", action: "decline" },
        { id: asked.id, user: "alice", action: "accept" },
      ];
      for (const { id, user, action } of replies) {
        const replied = await mcp(
          postRequest({ jsonrpc: "2.0", id, result: { action } }, {
            protocolVersion: "2025-11-25",
            headers: { "x-user": user },
          }),
        );
        assert.equal(replied.status, 202);
      }
      while (!text.includes("Hello, accept")) {
        const { done, value } = await within(reader.read(), 5_000, "the call's result");
        assert.ok(!done, "the stream carries the result");
        text += value;
      }
      await reader.cancel();
    } finally {
      await mcp.close();
    }
  });

  it("ctx.elicit in json response mode fails with a clear error, not a hang", async () => {
    const mcp = createMcpHandler({
      name: "stateless",
      version: "1.0.0",
      ...OPTIONS,
      streams: {
        responseMode: "json",
      },
    });
    try {
      const answer = await readAnswer(await mcp(postRequest(call(1, "greet"))));
      assert.match(JSON.stringify(answer.message), /need an SSE response/);
    } finally {
      await mcp.close();
    }
  });

  it("resources/subscribe is refused with the mode named; logging/setLevel succeeds", async () => {
    const mcp = createMcpHandler({
      name: "stateless",
      version: "1.0.0",
      ...OPTIONS,
      resources: [{ uri: "file:///a", name: "a", read: () => "a" }],
    });
    try {
      const subscribed = await readAnswer(
        await mcp(postRequest({
          jsonrpc: "2.0",
          id: 1,
          method: "resources/subscribe",
          params: { uri: "file:///a" },
        })),
      );
      assert.match(String(subscribed.message.error?.message), /needs a session/);
      const level = await readAnswer(
        await mcp(postRequest({
          jsonrpc: "2.0",
          id: 2,
          method: "logging/setLevel",
          params: { level: "debug" },
        })),
      );
      assert.deepEqual(level.message.result, {});
    } finally {
      await mcp.close();
    }
  });

  it("a task started in one POST is followed by tasks/get and tasks/result in later ones", async () => {
    const quick = defineTool({ name: "quick", task: "optional", handler: () => "quick result" });
    const mcp = createMcpHandler({
      name: "stateless",
      version: "1.0.0",
      ...OPTIONS,
      tools: [quick],
      extensions: [tasksExtension({ watchIntervalMs: 10 })],
      auth: {
        authenticate: (request) => ({ id: request.headers.get("x-user") ?? "alice" }),
      },
    });
    const ask = async (
      id: number,
      method: string,
      params: Record<string, unknown>,
      user = "alice",
    ) =>
      (await readAnswer(
        await mcp(postRequest({ jsonrpc: "2.0", id, method, params }, {
          protocolVersion: "2025-11-25",
          headers: { "x-user": user },
        })),
      )).message;
    try {
      const created = await ask(1, "tools/call", { name: "quick", task: { ttl: 30_000 } });
      const taskId = created.result.task.taskId;
      const result = await ask(2, "tasks/result", { taskId });
      assert.deepEqual(result.result.content, [{ type: "text", text: "quick result" }]);
      assert.equal((await ask(3, "tasks/get", { taskId })).result.status, "completed");
      assert.equal((await ask(4, "tasks/get", { taskId }, "bob")).error.code, -32602);
    } finally {
      await mcp.close();
    }
  });

  it("anonymous callers without a session list no tasks: another anonymous caller's task is not shown", async () => {
    const quick = defineTool({ name: "quick", task: "optional", handler: () => "quick result" });
    const mcp = createMcpHandler({
      name: "stateless",
      version: "1.0.0",
      ...OPTIONS,
      tools: [quick],
      extensions: [tasksExtension({ watchIntervalMs: 10 })],
      auth: {
        authenticate: (request) => {
          const user = request.headers.get("x-user");
          return user === null ? undefined : { id: user };
        },
      },
    });
    const ask = async (
      id: number,
      method: string,
      params: Record<string, unknown>,
      user?: string,
    ) =>
      (await readAnswer(
        await mcp(postRequest({ jsonrpc: "2.0", id, method, params }, {
          protocolVersion: "2025-11-25",
          headers: user === undefined ? {} : { "x-user": user },
        })),
      )).message;
    try {
      const anonymous = await ask(1, "tools/call", { name: "quick", task: { ttl: 30_000 } });
      const taskId = anonymous.result.task.taskId;
      assert.deepEqual((await ask(2, "tasks/list", {})).result.tasks, []);
      assert.equal(
        (await ask(3, "tasks/get", { taskId })).result.taskId,
        taskId,
        "its id still reaches it",
      );
      // Positive control: a named caller lists its own.
      const named = await ask(4, "tools/call", { name: "quick", task: { ttl: 30_000 } }, "alice");
      const listed = (await ask(5, "tasks/list", {}, "alice")).result.tasks;
      assert.deepEqual(listed.map((t: { taskId: string }) => t.taskId), [named.result.task.taskId]);
    } finally {
      await mcp.close();
    }
  });

  it("handler.close() aborts a call in flight, and stats() counts it until then", async () => {
    const blocking = blockingTool({ announce: true });
    const mcp = createMcpHandler({
      name: "stateless",
      version: "1.0.0",
      ...OPTIONS,
      tools: [blocking.tool],
    });
    const response = await mcp(postRequest(call(1, "block")));
    await within(blocking.started, 5_000, "the call to start");
    assert.equal((await mcp.stats()).inFlight, 1);
    await mcp.close();
    assert.equal(await abortReason(blocking.calls[0].signal, 5_000), "server-closed");
    await response.body?.cancel();
  });

  it("2026-07-28 requests are served as before", async () => {
    const mcp = handler();
    try {
      const response = await mcp(
        new Request("http://127.0.0.1:8787/mcp", {
          method: "POST",
          headers: {
            accept: ACCEPT_BOTH,
            "content-type": "application/json",
            "mcp-protocol-version": "2026-07-28",
            "mcp-method": "tools/call",
            "mcp-name": "add",
          },
          body: JSON.stringify({
            ...call(1, "add", { a: 1, b: 1 }),
            params: {
              name: "add",
              arguments: { a: 1, b: 1 },
              _meta: {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
              },
            },
          }),
        }),
      );
      const answer = await readAnswer(response);
      assert.equal(answer.status, 200, JSON.stringify(answer.message));
      assert.deepEqual(
        (answer.message.result as { content: unknown }).content,
        [{ type: "text", text: "2" }],
      );
    } finally {
      await mcp.close();
    }
  });

  it('refuses an eras.legacy that is not true, false or "stateless"', () => {
    assert.throws(
      () =>
        createMcpHandler({
          name: "x",
          version: "1",
          tools: [],
          eras: { legacy: "sessionless" as unknown as boolean },
        }),
      /eras.legacy must be true, false or "stateless"/,
    );
  });
});

describe("eras.legacy stateless: the official SDK clients", () => {
  it("SDK v1 connects without a session, lists, calls with progress, answers an elicitation", async () => {
    await withServer(OPTIONS, async (server) => {
      const client = new Client({ name: "v1", version: "1.0.0" }, {
        capabilities: { elicitation: {} },
      });
      client.setRequestHandler(
        ElicitRequestSchema,
        () => Promise.resolve({ action: "accept", content: { name: "Alice" } }),
      );
      const transport = new StreamableHTTPClientTransport(new URL(server.url));
      server.defer(() => client.close());
      await client.connect(transport);
      assert.equal(transport.sessionId, undefined);
      const listed = await client.listTools();
      assert.deepEqual(listed.tools.map((tool) => tool.name), [
        "add",
        "steps",
        "greet",
        "has_session",
      ]);
      const progress: number[] = [];
      const stepped = await client.callTool(
        { name: "steps", arguments: {} },
        CallToolResultSchema,
        {
          onprogress: (event) => void progress.push(event.progress),
        },
      );
      assert.deepEqual(stepped.content, [{ type: "text", text: "stepped" }]);
      assert.deepEqual(progress, [1, 2, 3]);
      const greeted = await client.callTool({ name: "greet", arguments: {} });
      assert.deepEqual(greeted.content, [{ type: "text", text: "Hello, accept" }]);
    });
  });

  it("SDK v2 (legacy mode) connects without a session, lists, calls with progress, answers an elicitation", async () => {
    await withServer(OPTIONS, async (server) => {
      const client = new ClientV2({ name: "v2", version: "1.0.0" }, {
        capabilities: { elicitation: {} },
        versionNegotiation: { mode: "legacy" },
      });
      client.setRequestHandler(
        "elicitation/create",
        () => Promise.resolve({ action: "accept", content: { name: "Alice" } }),
      );
      client.onerror = () => {};
      const transport = new TransportV2(new URL(server.url));
      server.defer(() => client.close());
      await client.connect(transport);
      assert.equal(transport.sessionId, undefined);
      const listed = await client.listTools();
      assert.equal(listed.tools.length, 4);
      const progress: number[] = [];
      const stepped = await client.callTool({ name: "steps", arguments: {} }, {
        onprogress: (event) => void progress.push(event.progress),
      });
      assert.deepEqual(stepped.content, [{ type: "text", text: "stepped" }]);
      assert.deepEqual(progress, [1, 2, 3]);
      const greeted = await client.callTool({ name: "greet", arguments: {} });
      assert.deepEqual(greeted.content, [{ type: "text", text: "Hello, accept" }]);
    });
  });
});
