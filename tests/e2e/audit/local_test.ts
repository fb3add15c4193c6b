/**
 * The audit record of a handler's own tools, prompts and resources, through
 * official SDK clients over real HTTP: SDK v1 on a 2025-11-25 session (a
 * call, a prompt get, a resource read, a call refused for a scope, a call
 * cancelled, a call run as a task) and SDK v2 pinned to 2026-07-28 (no
 * session). A bearer token the principal also carries among its claims
 * appears in no record.
 */

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import * as z from "zod";
import { Client as ClientV2, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  type AuditRecord,
  definePrompt,
  defineResource,
  defineTool,
  type McpHandlerOptions,
} from "../../../mod.ts";
import { tasksExtension } from "../../../src/extensions/tasks/mod.ts";
import { CallToolResultSchema, withServer, withTimeout } from "../interop/helpers.ts";
import { recordOf } from "./audit_records.ts";

const TOKEN = "tok_E2E_SECRET_91c4";

/** The server's arguments-digest key. */
const DIGEST_KEY = new TextEncoder().encode("e2e-local-audit-key-0123456789abcdef");

/** HMAC-SHA-256 of `{"a":"x","b":1}` under {@linkcode DIGEST_KEY}, computed here. */
const DIGEST_A_B = `hmac-sha256:${
  createHmac("sha256", DIGEST_KEY).update('{"a":"x","b":1}').digest("hex")
}`;

/** The server's definitions and its audit listener. */
function options(records: AuditRecord[], started: { resolve?: () => void }): McpHandlerOptions {
  return {
    name: "audited",
    version: "1.0.0",
    tools: [
      defineTool({
        name: "echo",
        input: z.object({ a: z.string(), b: z.number() }),
        handler: ({ a }) => a,
      }),
      defineTool({ name: "admin", scopes: ["admin"], handler: () => "done" }),
      defineTool({
        name: "wait",
        handler: (_input, ctx) =>
          new Promise<string>((resolve) => {
            started.resolve?.();
            ctx.signal.addEventListener("abort", () => resolve("stopped"));
          }),
      }),
      defineTool({ name: "crunch", task: "optional", handler: () => "crunched" }),
    ],
    prompts: [definePrompt({
      name: "review",
      arguments: z.object({ code: z.string() }),
      handler: ({ code }) => `Review ${code}`,
    })],
    resources: [defineResource({ uri: "memo://one", name: "memo", read: () => "remember" })],
    extensions: [tasksExtension({ pollIntervalMs: 20 })],
    auth: {
      authenticate: (request) =>
        request.headers.get("authorization") === `Bearer ${TOKEN}`
          ? { id: "alice", issuer: "https://issuer.example", scopes: ["read"], token: TOKEN }
          : undefined,
    },
    observe: {
      onError: () => {},
      onEvent: (event) => {
        if (event.type === "audit") records.push(event);
      },
      audit: { digestKey: DIGEST_KEY },
    },
  };
}

describe("audit records of local definitions", () => {
  it("a 2025-11-25 session: call, prompt, resource, refusal, cancellation, task", async () => {
    const records: AuditRecord[] = [];
    const started: { resolve?: () => void } = {};
    await withServer(options(records, started), async (server) => {
      const { client, sessionId } = await server.connect({ token: TOKEN });
      await client.callTool({ name: "echo", arguments: { b: 1, a: "x" } });
      const echo = await recordOf(records, "echo");
      assert.equal(echo.method, "tools/call");
      assert.equal(echo.outcome, "ok");
      assert.equal(echo.sessionId, sessionId);
      assert.equal(echo.protocolVersion, "2025-11-25");
      assert.deepEqual(echo.principal, { subject: "alice", issuer: "https://issuer.example" });
      assert.match(echo.argumentsDigest!, /^hmac-sha256:[0-9a-f]{64}$/);
      assert.equal(echo.argumentsDigest, DIGEST_A_B);

      await client.getPrompt({ name: "review", arguments: { code: "x = 1" } });
      const review = await recordOf(records, "review");
      assert.equal(review.method, "prompts/get");
      assert.equal(review.outcome, "ok");

      await client.readResource({ uri: "memo://one" });
      const memo = await recordOf(records, "memo://one");
      assert.equal(memo.method, "resources/read");
      assert.equal(memo.argumentsDigest, undefined, "a read's argument is its URI");

      await assert.rejects(client.callTool({ name: "admin", arguments: {} }));
      const admin = await recordOf(records, "admin");
      assert.equal(admin.outcome, "refused");
      assert.equal(admin.sessionId, sessionId);

      const controller = new AbortController();
      const running = new Promise<void>((resolve) => started.resolve = resolve);
      const call = client.callTool({ name: "wait", arguments: {} }, undefined, {
        signal: controller.signal,
      });
      await withTimeout(running, 5_000, "wait started");
      controller.abort();
      await assert.rejects(call);
      assert.equal((await recordOf(records, "wait")).outcome, "cancelled");

      await client.listTools();
      let taskId = "";
      const stream = client.experimental.tasks.callToolStream(
        { name: "crunch", arguments: {} },
        CallToolResultSchema,
      );
      for await (const message of stream) {
        if (message.type === "taskCreated") taskId = message.task.taskId;
        if (message.type === "error") throw message.error;
      }
      const crunch = await recordOf(records, "crunch");
      assert.equal(crunch.outcome, "task");
      assert.equal(crunch.taskId, taskId);
      assert.equal(records.filter((record) => record.entry === "crunch").length, 1);

      assert.ok(!JSON.stringify(records).includes(TOKEN), "no token in any record");
    });
  });

  it("a 2026-07-28 call through the SDK v2 client has no session", async () => {
    const records: AuditRecord[] = [];
    await withServer(options(records, {}), async (server) => {
      const client = new ClientV2({ name: "v2", version: "1.0.0" }, {
        capabilities: {},
        versionNegotiation: { mode: { pin: "2026-07-28" } },
      });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
        }),
      );
      try {
        await client.callTool({ name: "echo", arguments: { a: "x", b: 1 } });
        const echo = await recordOf(records, "echo");
        assert.equal(echo.outcome, "ok");
        assert.equal(echo.sessionId, null);
        assert.equal(echo.protocolVersion, "2026-07-28");
        assert.equal(echo.argumentsDigest, DIGEST_A_B, "the same arguments, the same digest");
        await assert.rejects(client.callTool({ name: "admin", arguments: {} }));
        const admin = await recordOf(records, "admin");
        assert.equal(admin.outcome, "refused");
        assert.equal(admin.sessionId, null);
        assert.ok(!JSON.stringify(records).includes(TOKEN));
      } finally {
        await withTimeout(client.close(), 5_000, "client.close()");
      }
    });
  });
});
