/**
 * The official MCP SDK client against tether over real HTTP: the everyday
 * surface (tools, resources, prompts, completion, termination), progress,
 * and server→client requests (elicitation, sampling).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import { definePrompt, defineResource, defineResourceTemplate, defineTool } from "../../../mod.ts";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  rawPost,
  WAIT_MS,
  withServer,
} from "./helpers.ts";

const add = defineTool({
  name: "add",
  description: "Adds two numbers",
  input: z.object({ a: z.number(), b: z.number() }),
  output: z.object({ sum: z.number() }),
  handler: ({ a, b }) => ({ content: [], structuredContent: { sum: a + b } }),
});

const readme = defineResource({
  uri: "docs://readme",
  name: "readme",
  mimeType: "text/markdown",
  read: () => "# Interop",
});

const users = defineResourceTemplate({
  uriTemplate: "users://{id}",
  name: "user",
  mimeType: "application/json",
  complete: { id: (value) => ["alice", "albert", "bob"].filter((id) => id.startsWith(value)) },
  read: (_uri, { id }) => JSON.stringify({ id, kind: "user" }),
});

const review = definePrompt({
  name: "review",
  description: "Asks for a code review",
  arguments: z.object({ language: z.string(), code: z.string() }),
  complete: {
    language: (value) => ["typescript", "tsx", "rust"].filter((l) => l.startsWith(value)),
  },
  handler: ({ language, code }) => `Review this ${language}:\n${code}`,
});

describe("SDK client basics", () => {
  it("SDK client lists and calls tools, reads resources, gets prompts, completes, and a terminated session answers 404", async () => {
    await withServer({
      tools: [add],
      resources: [readme],
      resourceTemplates: [users],
      prompts: [review],
    }, async (server) => {
      const { client, transport, sessionId } = await server.connect();
      assert.equal(client.getServerVersion()?.name, "interop");

      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ["add"]);
      assert.equal(tools[0].inputSchema.type, "object");
      assert.ok(tools[0].outputSchema, "outputSchema is advertised");

      const called = await client.callTool({ name: "add", arguments: { a: 2, b: 40 } });
      assert.deepEqual(called.structuredContent, { sum: 42 });
      assert.equal(called.isError, undefined);
      assert.deepEqual(called.content, [{ type: "text", text: JSON.stringify({ sum: 42 }) }]);

      const invalid = await client.callTool({ name: "add", arguments: { a: "two", b: 40 } });
      assert.equal(invalid.isError, true, "zod rejects a string for a number");

      const fixed = await client.readResource({ uri: "docs://readme" });
      assert.deepEqual(fixed.contents, [{
        uri: "docs://readme",
        mimeType: "text/markdown",
        text: "# Interop",
      }]);
      const templated = await client.readResource({ uri: "users://alice" });
      assert.equal(templated.contents.length, 1);
      assert.equal(templated.contents[0].uri, "users://alice");
      assert.deepEqual(JSON.parse((templated.contents[0] as { text: string }).text), {
        id: "alice",
        kind: "user",
      });
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate), ["users://{id}"]);

      const { prompts } = await client.listPrompts();
      assert.deepEqual(prompts.map((p) => p.name), ["review"]);
      assert.deepEqual(prompts[0].arguments?.map((a) => a.name).sort(), ["code", "language"]);
      const prompt = await client.getPrompt({
        name: "review",
        arguments: { language: "ts", code: "let x = 1" },
      });
      assert.equal(prompt.messages.length, 1);
      assert.equal(prompt.messages[0].role, "user");
      assert.deepEqual(prompt.messages[0].content, {
        type: "text",
        text: "Review this ts:\nlet x = 1",
      });

      const promptCompletion = await client.complete({
        ref: { type: "ref/prompt", name: "review" },
        argument: { name: "language", value: "t" },
      });
      assert.deepEqual(promptCompletion.completion.values, ["typescript", "tsx"]);
      const templateCompletion = await client.complete({
        ref: { type: "ref/resource", uri: "users://{id}" },
        argument: { name: "id", value: "al" },
      });
      assert.deepEqual(templateCompletion.completion.values, ["alice", "albert"]);

      await transport.terminateSession();
      assert.equal(transport.sessionId, undefined);
      const after = await rawPost(server.url, sessionId, {
        jsonrpc: "2.0",
        id: 99,
        method: "tools/list",
      });
      await after.body?.cancel();
      assert.equal(after.status, 404);
    });
  });

  it("SDK onprogress receives five progress notifications in order, then the result", async () => {
    const steps = defineTool({
      name: "steps",
      input: z.object({ count: z.number().int() }),
      handler: async ({ count }, ctx) => {
        for (let i = 1; i <= count; i++) await ctx.progress(i, count, `step ${i}`);
        return `did ${count} steps`;
      },
    });
    await withServer({ tools: [steps] }, async (server) => {
      const { client } = await server.connect();
      const seen: { progress: number; total?: number; message?: string }[] = [];
      let resultArrivedAfter = -1;
      const result = await client.callTool({ name: "steps", arguments: { count: 5 } }, undefined, {
        onprogress: (p) =>
          void seen.push({ progress: p.progress, total: p.total, message: p.message }),
      }).then((r) => {
        resultArrivedAfter = seen.length;
        return r;
      });
      assert.deepEqual(
        seen,
        [1, 2, 3, 4, 5].map((i) => ({ progress: i, total: 5, message: `step ${i}` })),
      );
      assert.equal(resultArrivedAfter, 5, "every progress notification precedes the result");
      assert.deepEqual(result.content, [{ type: "text", text: "did 5 steps" }]);
    });
  });

  it("an SDK call whose SSE answer overflows the server's buffer completes through Last-Event-ID resumption, every notification once", async () => {
    const COUNT = 60;
    const burst = defineTool({
      name: "burst",
      handler: async (_input, ctx) => {
        // ~600 KB emitted at once against a 64 KiB connection buffer.
        for (let i = 0; i < COUNT; i++) await ctx.log("info", { i, pad: "x".repeat(10_000) });
        return "burst done";
      },
    });
    await withServer(
      { tools: [burst], streams: { maxStreamBufferBytes: 64 * 1024, retryMs: 20 } },
      async (server) => {
        const seen: number[] = [];
        const { client } = await server.connect({
          reconnect: true,
          setup: (client) =>
            client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
              seen.push((n.params.data as { i: number }).i);
            }),
        });
        const result = await client.callTool({ name: "burst", arguments: {} }, undefined, {
          timeout: WAIT_MS,
        });
        assert.deepEqual(result.content, [{ type: "text", text: "burst done" }]);
        assert.deepEqual(
          seen,
          Array.from({ length: COUNT }, (_, i) => i),
          "every notification exactly once, in order",
        );
      },
    );
  });

  it("elicitation and sampling round-trip through the SDK client", async () => {
    const signup = defineTool({
      name: "signup",
      handler: async (_input, ctx) => {
        const answer = await ctx.elicit({
          message: "Your name?",
          requestedSchema: {
            type: "object",
            properties: { name: { type: "string" } },
            required: ["name"],
          },
        });
        const sampled = await ctx.sample({
          messages: [{
            role: "user",
            content: { type: "text", text: `Greet ${String(answer.content?.name)}` },
          }],
          maxTokens: 50,
        });
        const text = (sampled.content as { text: string }).text;
        return {
          content: [{ type: "text", text }],
          structuredContent: { action: answer.action, model: sampled.model },
        };
      },
    });
    await withServer({ tools: [signup] }, async (server) => {
      const elicitations: string[] = [];
      const samplings: string[] = [];
      const { client } = await server.connect({
        capabilities: { elicitation: {}, sampling: {} },
        setup: (client) => {
          client.setRequestHandler(ElicitRequestSchema, (request) => {
            elicitations.push(request.params.message);
            return { action: "accept", content: { name: "Ada" } };
          });
          client.setRequestHandler(CreateMessageRequestSchema, (request) => {
            const content = request.params.messages[0].content as { type: string; text: string };
            samplings.push(content.text);
            return {
              role: "assistant",
              model: "test-model",
              content: { type: "text", text: `Hello, Ada!` },
            };
          });
        },
      });
      const result = await client.callTool({ name: "signup", arguments: {} });
      assert.equal(result.isError, undefined, JSON.stringify(result));
      assert.deepEqual(elicitations, ["Your name?"]);
      assert.deepEqual(samplings, ["Greet Ada"]);
      assert.deepEqual(result.content, [{ type: "text", text: "Hello, Ada!" }]);
      assert.deepEqual(result.structuredContent, { action: "accept", model: "test-model" });
      assert.equal((await server.handler.stats()).pendingClientRequests, 0);
    });
  });

  it("ctx.elicit for a client without the elicitation capability fails at once with an error result", async () => {
    const ask = defineTool({
      name: "ask",
      handler: async (_input, ctx) => {
        const answer = await ctx.elicit({
          message: "Anything?",
          requestedSchema: { type: "object", properties: {} },
        });
        return `unexpected answer: ${answer.action}`;
      },
    });
    // A long client-request timeout: if elicit waited for the client instead of failing, the test would time out.
    await withServer(
      { tools: [ask], streams: { clientRequestTimeoutMs: 10 * 60_000 } },
      async (server) => {
        const { client } = await server.connect({ capabilities: {} });
        const result = await client.callTool({ name: "ask", arguments: {} });
        assert.equal(result.isError, true);
        const text = (result.content as { type: string; text: string }[])[0].text;
        assert.match(text, /elicitation/);
        const stats = await server.handler.stats();
        assert.equal(stats.pendingClientRequests, 0);
        assert.equal(stats.inFlight, 0);
      },
    );
  });
});
