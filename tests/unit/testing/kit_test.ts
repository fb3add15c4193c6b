/**
 * Tests of `@tether/mcp/testing` against real handlers, in both eras:
 * results, progress and messages captured, elicitation, sampling and roots
 * answered by the test's handlers (2025: posted back on the session; 2026:
 * input_required rounds), cancellation reaching `ctx.signal`, resumption
 * with Last-Event-ID, session state read through the store, typed errors.
 */

import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import { defineTool } from "../../../mod.ts";
import { MemorySessionStore } from "../../../src/storage/mod.ts";
import { connect, McpClientError, type TestEra } from "../../../src/testing/mod.ts";
import { headerValue } from "../../../src/testing/modern_client.ts";
import { deferred, makeHandler, sleep, within } from "../../helpers.ts";

const ERAS: readonly TestEra[] = ["2025", "2026"];

/** Tools that exercise each feature of the kit. */
function tools(hooks: { started?: () => void; aborted?: (reason: unknown) => void } = {}) {
  return [
    defineTool({
      name: "echo",
      input: z.object({ text: z.string() }),
      handler: ({ text }) => text,
    }),
    defineTool({
      name: "steps",
      handler: async (_input, ctx) => {
        await ctx.progress(1, 2, "half");
        await ctx.log("info", "working");
        await ctx.progress(2, 2);
        return "done";
      },
    }),
    defineTool({
      name: "live_steps",
      handler: async (_input, ctx) => {
        await ctx.progress(1, 2);
        // The next task: the stream is live (events with ids), not one complete body.
        await sleep(0);
        await ctx.progress(2, 2);
        return "done";
      },
    }),
    defineTool({
      name: "ask",
      handler: async (_input, ctx) => {
        const answer = await ctx.elicit({
          message: "Name?",
          requestedSchema: { type: "object", properties: { name: { type: "string" } } },
        });
        return answer.action === "accept" ? `Hello, ${answer.content?.name}` : answer.action;
      },
    }),
    defineTool({
      name: "think",
      handler: async (_input, ctx) => {
        const result = await ctx.sample({
          messages: [{ role: "user", content: { type: "text", text: "2+2?" } }],
          maxTokens: 10,
        });
        return `model said ${(result.content as { text: string }).text}`;
      },
    }),
    defineTool({
      name: "where",
      handler: async (_input, ctx) => {
        const { roots } = await ctx.listRoots();
        return roots.map((root) => root.uri).join(",");
      },
    }),
    defineTool({
      name: "wait",
      handler: async (_input, ctx) => {
        ctx.signal.addEventListener("abort", () => hooks.aborted?.(ctx.signal.reason));
        await ctx.progress(1);
        hooks.started?.();
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        return "never";
      },
    }),
    defineTool({
      name: "count",
      handler: async (_input, ctx) =>
        String(await ctx.session!.update<number>("count", (n) => (n ?? 0) + 1)),
    }),
    defineTool({
      name: "hop",
      handler: async (_input, ctx) => {
        await ctx.progress(1, 2);
        ctx.closeStream();
        await ctx.progress(2, 2);
        return "after the hop";
      },
    }),
  ];
}

const HANDLERS = {
  elicitation: () => ({ action: "accept" as const, content: { name: "Ada" } }),
  sampling: () => ({ role: "assistant", content: { type: "text", text: "4" }, model: "test" }),
  roots: [{ uri: "file:///work" }, { uri: "file:///tmp" }],
};

for (const era of ERAS) {
  describe(`@tether/mcp/testing, ${era} era`, () => {
    it("lists tools and calls one: the result comes back", async () => {
      const handler = makeHandler({ tools: tools() });
      try {
        const client = await connect(handler, { era });
        assert.equal(client.era, era);
        const { tools: listed } = await client.listTools();
        assert.ok(listed.some((tool) => tool.name === "echo"));
        const { result } = await client.callTool("echo", { text: "hi" });
        assert.deepEqual(result.content, [{ type: "text", text: "hi" }]);
        await client.close();
      } finally {
        await handler.close();
      }
    });

    it("captures progress and messages in order", async () => {
      const handler = makeHandler({ tools: tools() });
      try {
        const client = await connect(handler, { era });
        if (era === "2025") await client.request("logging/setLevel", { level: "debug" });
        const seen: number[] = [];
        const outcome = await client.callTool("steps", {}, {
          onProgress: (update) => seen.push(update.progress),
          meta: era === "2026" ? { "io.modelcontextprotocol/logLevel": "debug" } : {},
        });
        assert.deepEqual(outcome.result.content, [{ type: "text", text: "done" }]);
        assert.deepEqual(outcome.progress.map((p) => [p.progress, p.total]), [[1, 2], [2, 2]]);
        assert.equal(outcome.progress[0].message, "half");
        assert.deepEqual(seen, [1, 2]);
        assert.deepEqual(outcome.messages.map((m) => "method" in m ? m.method : "?"), [
          "notifications/progress",
          "notifications/message",
          "notifications/progress",
        ]);
        await client.close();
      } finally {
        await handler.close();
      }
    });

    it("answers an elicitation with the test's handler", async () => {
      const handler = makeHandler({ tools: tools() });
      try {
        const client = await connect(handler, { era, handlers: HANDLERS });
        const outcome = await client.callTool("ask");
        assert.deepEqual(outcome.result.content, [{ type: "text", text: "Hello, Ada" }]);
        assert.equal(outcome.rounds, era === "2026" ? 1 : 0);
        if (era === "2025") {
          assert.ok(
            outcome.messages.some((m) => "method" in m && m.method === "elicitation/create"),
          );
        }
        await client.close();
      } finally {
        await handler.close();
      }
    });

    it("answers sampling and roots with the test's handlers", async () => {
      const handler = makeHandler({ tools: tools() });
      try {
        const client = await connect(handler, { era, handlers: HANDLERS });
        const thought = await client.callTool("think");
        assert.deepEqual(thought.result.content, [{ type: "text", text: "model said 4" }]);
        const where = await client.callTool("where");
        assert.deepEqual(where.result.content, [
          { type: "text", text: "file:///work,file:///tmp" },
        ]);
        await client.close();
      } finally {
        await handler.close();
      }
    });

    it("without a handler the capability is not declared: the call fails", async () => {
      const handler = makeHandler({ tools: tools() });
      try {
        const client = await connect(handler, { era });
        const failure = await client.callTool("ask").then(
          (outcome) => outcome.result,
          (error: unknown) => error,
        );
        if (era === "2026") {
          assert.ok(failure instanceof McpClientError);
          assert.equal(failure.status, 400);
          assert.equal(failure.code, -32021);
        } else {
          // 2025: the tool's ctx.elicit rejects; the tool reports the failure in its result.
          assert.ok(!(failure instanceof Error), String(failure));
          assert.equal((failure as { isError?: boolean }).isError, true);
        }
        await client.close();
      } finally {
        await handler.close();
      }
    });

    it("cancelling the call posts notifications/cancelled: ctx.signal aborts", async () => {
      const aborted = deferred<unknown>();
      const handler = makeHandler({
        tools: tools({ aborted: (reason) => aborted.resolve(reason) }),
      });
      try {
        const client = await connect(handler, { era });
        const controller = new AbortController();
        const call = client.callTool("wait", {}, {
          signal: controller.signal,
          onProgress: () => controller.abort("enough"),
        });
        await assert.rejects(
          within(call, 5_000, "the call rejects"),
          (error) => error === "enough",
        );
        const reason = await within(aborted.promise, 5_000, "the tool's signal aborts");
        assert.equal(reason, "cancelled", "a cancellation, not a dropped connection");
        assert.equal((await handler.stats()).inFlight, 0);
        await client.close();
      } finally {
        await handler.close();
      }
    });

    it("a call unanswered by its deadline is cancelled and rejects with a TimeoutError", async () => {
      const aborted = deferred<unknown>();
      const handler = makeHandler({
        tools: tools({ aborted: (reason) => aborted.resolve(reason) }),
      });
      try {
        const client = await connect(handler, { era, timeoutMs: 20 });
        await assert.rejects(
          within(client.callTool("wait"), 5_000, "the deadline"),
          (error: Error) =>
            error.name === "TimeoutError" && /tools\/call within 20 ms/.test(error.message),
        );
        assert.equal(await within(aborted.promise, 5_000, "the tool's signal aborts"), "cancelled");
        // Positive control: the same client answers a call that returns at once.
        assert.deepEqual((await client.callTool("echo", { text: "ok" })).result.content, [
          { type: "text", text: "ok" },
        ]);
        await client.close();
      } finally {
        await handler.close();
      }
    });

    it("works on a handler that answers JSON (responseMode json)", async () => {
      const handler = makeHandler({ tools: tools(), streams: { responseMode: "json" } });
      try {
        const client = await connect(handler, { era });
        const { result, progress } = await client.callTool("echo", { text: "json" });
        assert.deepEqual(result.content, [{ type: "text", text: "json" }]);
        assert.deepEqual(progress, []);
        await client.close();
      } finally {
        await handler.close();
      }
    });

    it("a test handler that throws: 2025 answers the server with an error, 2026 rejects the call", async () => {
      const handler = makeHandler({ tools: tools() });
      try {
        const client = await connect(handler, {
          era,
          handlers: {
            elicitation: () => {
              throw new Error("no user here");
            },
          },
        });
        const outcome = await client.callTool("ask").then(
          (outcome) => outcome.result,
          (error: unknown) => error,
        );
        if (era === "2025") {
          // The tool's ctx.elicit rejected with the client's error; the tool failed with it.
          assert.equal((outcome as { isError?: boolean }).isError, true);
        } else {
          assert.ok(outcome instanceof Error && /no user here/.test(outcome.message));
        }
        await client.close();
      } finally {
        await handler.close();
      }
    });

    it("an error answer is thrown as McpClientError with the JSON-RPC error", async () => {
      const handler = makeHandler({ tools: tools() });
      try {
        const client = await connect(handler, { era });
        await assert.rejects(client.request("no/such/method"), (error) => {
          assert.ok(error instanceof McpClientError);
          assert.equal(error.code, -32601);
          assert.equal(typeof error.status, "number");
          return true;
        });
        await client.close();
      } finally {
        await handler.close();
      }
    });
  });
}

describe("@tether/mcp/testing, 2025 era only", () => {
  it("initialize carries the capabilities the handlers imply", async () => {
    let seen: unknown;
    const handler = makeHandler({
      tools: [defineTool({
        name: "caps",
        handler: (_input, ctx) => {
          seen = ctx.clientCapabilities;
          return "ok";
        },
      })],
    });
    try {
      const client = await connect(handler, { handlers: HANDLERS });
      assert.ok(client.sessionId);
      assert.equal(client.protocolVersion, "2025-11-25");
      await client.callTool("caps");
      assert.deepEqual(seen, { elicitation: { form: {}, url: {} }, sampling: {}, roots: {} });
      await client.close();
    } finally {
      await handler.close();
    }
  });

  it("asks for an older revision when told, and carries the negotiated one", async () => {
    let seen: string | undefined;
    const handler = makeHandler({
      tools: [defineTool({
        name: "version",
        handler: (_input, ctx) => {
          seen = ctx.protocolVersion;
          return "ok";
        },
      })],
    });
    try {
      const client = await connect(handler, { protocolVersion: "2025-06-18" });
      assert.equal(client.protocolVersion, "2025-06-18");
      await client.callTool("version");
      assert.equal(seen, "2025-06-18");
      await client.close();
    } finally {
      await handler.close();
    }
  });

  it("a dropped stream is resumed with Last-Event-ID and the answer still arrives", async () => {
    const handler = makeHandler({ tools: tools() });
    try {
      const client = await connect(handler);
      const outcome = await client.callTool("steps", {}, {
        disconnectAfter: (message) => "method" in message && message.params?.progress === 1,
      });
      assert.equal(outcome.resumed, 1);
      assert.deepEqual(outcome.result.content, [{ type: "text", text: "done" }]);
      assert.deepEqual(outcome.progress.map((p) => p.progress), [1, 2]);
      await client.close();
    } finally {
      await handler.close();
    }
  });

  it("a stream the server closes (ctx.closeStream) is resumed", async () => {
    const handler = makeHandler({ tools: tools() });
    try {
      const client = await connect(handler);
      const outcome = await client.callTool("hop");
      assert.equal(outcome.resumed, 1);
      assert.deepEqual(outcome.result.content, [{ type: "text", text: "after the hop" }]);
      assert.deepEqual(outcome.progress.map((p) => p.progress), [1, 2]);
      await client.close();
    } finally {
      await handler.close();
    }
  });

  it("resume(eventId) replays a call's stream after that event", async () => {
    const handler = makeHandler({ tools: tools() });
    try {
      const client = await connect(handler);
      let firstId: string | undefined;
      await client.callTool("live_steps", {}, {
        onMessage: (_message, eventId) => (firstId ??= eventId),
      });
      assert.ok(firstId);
      const replay = await client.resume(firstId);
      assert.deepEqual(replay.result.content, [{ type: "text", text: "done" }]);
      assert.deepEqual(replay.progress.map((p) => p.progress), [2]);
      await client.close();
    } finally {
      await handler.close();
    }
  });

  it("reads the session's state through the store the handler was given", async () => {
    const store = new MemorySessionStore();
    const handler = makeHandler({ tools: tools(), sessions: { store } });
    try {
      const client = await connect(handler);
      await client.callTool("count");
      await client.callTool("count");
      assert.equal(await client.readSessionState(store, "count"), 2);
      await client.close();
      assert.equal(await client.readSessionState(store, "count"), undefined);
    } finally {
      await handler.close();
    }
  });

  it("close() ends the session: a later call is refused with 404", async () => {
    const handler = makeHandler({ tools: tools() });
    try {
      const client = await connect(handler);
      await client.close();
      await assert.rejects(client.callTool("echo", { text: "x" }), (error) => {
        assert.ok(error instanceof McpClientError);
        assert.equal(error.status, 404);
        return true;
      });
    } finally {
      await handler.close();
    }
  });

  it("a refused initialize rejects connect with the HTTP status", async () => {
    const handler = makeHandler({ tools: tools(), security: { allowedHosts: ["example.com"] } });
    try {
      await assert.rejects(connect(handler), (error) => {
        assert.ok(error instanceof McpClientError);
        assert.equal(error.status, 403);
        return true;
      });
    } finally {
      await handler.close();
    }
  });
});

describe("@tether/mcp/testing, 2026 era only", () => {
  it("sends the envelope in _meta and the routing headers", async () => {
    const seen: Request[] = [];
    const handler = makeHandler({ tools: tools() });
    try {
      const client = await connect((request) => {
        seen.push(request.clone());
        return handler(request);
      }, { era: "2026", handlers: HANDLERS });
      await client.callTool("echo", { text: "hé" });
      const request = seen[0];
      assert.equal(request.headers.get("mcp-method"), "tools/call");
      assert.equal(request.headers.get("mcp-name"), "echo");
      assert.equal(request.headers.get("mcp-protocol-version"), "2026-07-28");
      const body = await request.json();
      assert.equal(body.params._meta["io.modelcontextprotocol/protocolVersion"], "2026-07-28");
      assert.deepEqual(body.params._meta["io.modelcontextprotocol/clientCapabilities"], {
        elicitation: { form: {}, url: {} },
        sampling: {},
        roots: {},
      });
      assert.equal(typeof body.params._meta.progressToken, "string");
      assert.equal(client.sessionId, undefined);
      await assert.rejects(client.resume("1"), TypeError);
    } finally {
      await handler.close();
    }
  });

  it("answers several input_required rounds, the state carried", async () => {
    const handler = makeHandler({
      tools: [defineTool({
        name: "two",
        handler: async (_input, ctx) => {
          const first = await ctx.elicit({ message: "first", requestedSchema: { type: "object" } });
          const { roots } = await ctx.listRoots();
          return `${first.action} ${roots.length}`;
        },
      })],
    });
    try {
      const client = await connect(handler, { era: "2026", handlers: HANDLERS });
      const outcome = await client.callTool("two");
      assert.deepEqual(outcome.result.content, [{ type: "text", text: "accept 2" }]);
      assert.equal(outcome.rounds, 2);
    } finally {
      await handler.close();
    }
  });
});

describe("@tether/mcp/testing, its own shape", () => {
  it("loads no runtime module and no package, test frameworks included (it runs on workerd and in any runner)", () => {
    const seen = new Set<string>();
    const foreign: string[] = [];
    const visit = (url: URL) => {
      if (seen.has(url.href)) return;
      seen.add(url.href);
      const source = readFileSync(url, "utf8");
      // Static imports and re-exports; `import type` and `export type` are erased, so never loaded.
      for (
        const match of source.matchAll(
          /^(?:import|export)\s+(?!type\s)(?:[^;]*?from\s+)?"([^"]+)";/gms,
        )
      ) {
        const specifier = match[1];
        if (specifier.startsWith(".")) visit(new URL(specifier, url));
        else foreign.push(`${url.pathname}: ${specifier}`);
      }
    };
    visit(new URL("../../../src/testing/mod.ts", import.meta.url));
    assert.ok(seen.size >= 6, `followed ${seen.size} modules`); // positive control: the walk went on
    assert.deepEqual(foreign, []);
  });

  it("routing header values: plain when header-safe, else =?base64?…?= of the UTF-8", () => {
    assert.equal(headerValue("echo"), "echo");
    assert.equal(headerValue("hé"), "=?base64?aMOp?=");
    assert.equal(headerValue(" padded"), "=?base64?IHBhZGRlZA==?=");
  });
});
