/**
 * A tool that returns at once (no promise) is answered in the same turn, in
 * both eras; these pin that the short way keeps every behaviour of the long
 * one: a notification the tool sends before it returns still reaches the
 * client (the answer becomes a stream), a throw is still a tool error, and a
 * session store that throws at once still fails closed (503).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import { defineTool, StorageUnavailableError } from "../../../../mod.ts";
import { MemorySessionStore } from "../../../../src/storage/mod.ts";
import type { McpHandler } from "../../../../mod.ts";
import type { SessionRecord, SessionUse } from "../../../../src/storage/mod.ts";
import {
  assertHttpError,
  initialize,
  makeHandler,
  postRequest,
  rpc,
  type RpcOutcome,
  type TestSession,
} from "../../../helpers.ts";
import { modernRpc } from "../../../support/modern_helpers.ts";

/** Tools whose handlers are plain functions: nothing awaited, no promise returned. */
const TOOLS = [
  defineTool({
    name: "echo",
    input: z.object({ text: z.string() }),
    handler: ({ text }) => text,
  }),
  defineTool({
    name: "eager",
    // Progress and a log line sent before returning, neither awaited.
    handler: (_input, ctx) => {
      void ctx.progress(1, 1);
      void ctx.log("info", "on the way");
      return "done";
    },
  }),
  defineTool({
    name: "broken",
    handler: () => {
      throw new Error("no luck");
    },
  }),
];

/** One way to call a tool, in one era: the answer, read whole. */
type Call = (
  handler: McpHandler,
  name: string,
  args: Record<string, unknown>,
  meta?: Record<string, unknown>,
) => Promise<RpcOutcome>;

const ERAS: { era: string; call: Call }[] = [
  {
    era: "sessionful (2025-11-25)",
    call: async (handler, name, args, meta) => {
      const session = await initialize(handler);
      if (meta?.logLevel !== undefined) {
        await rpc(handler, session, "logging/setLevel", { level: meta.logLevel });
      }
      const progressToken = meta?.progressToken;
      return await rpc(handler, session, "tools/call", {
        name,
        arguments: args,
        ...(progressToken === undefined ? {} : { _meta: { progressToken } }),
      });
    },
  },
  {
    era: "stateless (2026-07-28)",
    call: (handler, name, args, meta) =>
      modernRpc(handler, "tools/call", { name, arguments: args }, {
        meta: {
          ...(meta?.progressToken === undefined ? {} : { progressToken: meta.progressToken }),
          ...(meta?.logLevel === undefined
            ? {}
            : { "io.modelcontextprotocol/logLevel": meta.logLevel }),
        },
      }),
  },
];

for (const { era, call } of ERAS) {
  describe(`synchronous tools, ${era}`, () => {
    it("a plain return is one JSON answer, and nothing stays in flight", async () => {
      const handler = makeHandler({ tools: TOOLS });
      try {
        const outcome = await call(handler, "echo", { text: "hi" });
        assert.equal(outcome.status, 200);
        assert.match(outcome.contentType, /^application\/json/);
        assert.deepEqual(outcome.message.result.content, [{ type: "text", text: "hi" }]);
        assert.equal((await handler.stats()).inFlight, 0);
      } finally {
        await handler.close();
      }
    });

    it("notifications sent before returning reach the client, then the result, on one stream", async () => {
      const handler = makeHandler({ tools: TOOLS });
      try {
        const outcome = await call(handler, "eager", {}, { progressToken: "p", logLevel: "info" });
        assert.match(outcome.contentType, /^text\/event-stream/);
        assert.deepEqual(outcome.messages.map((m) => m.method ?? "response"), [
          "notifications/progress",
          "notifications/message",
          "response",
        ]);
        assert.equal(outcome.messages[0].params.progressToken, "p");
        assert.equal(outcome.message.result.content[0].text, "done");
        assert.equal((await handler.stats()).inFlight, 0);
      } finally {
        await handler.close();
      }
    });

    it("a throw is a tool error result", async () => {
      const handler = makeHandler({ tools: TOOLS });
      try {
        const outcome = await call(handler, "broken", {});
        assert.equal(outcome.status, 200);
        assert.equal(outcome.message.result.isError, true);
        assert.match(outcome.message.result.content[0].text, /no luck/);
      } finally {
        await handler.close();
      }
    });
  });
}

/** Answers at once, as the memory store does, or throws `failure` at once while it is set. */
class ThrowingStore extends MemorySessionStore {
  failure: Error | undefined;
  override getAndTouch(id: string, now: number, use: SessionUse): SessionRecord | undefined {
    if (this.failure !== undefined) throw this.failure;
    return super.getAndTouch(id, now, use);
  }
}

/** The raw HTTP answer to an echo call in `session` (for the refusals `rpc` would not show whole). */
function postEcho(handler: McpHandler, session: TestSession, id: number): Promise<Response> {
  return handler(postRequest(
    {
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "echo", arguments: { text: "b" } },
    },
    { sessionId: session.id, protocolVersion: session.protocolVersion },
  ));
}

describe("synchronous session store, sessionful", () => {
  it("a session store whose getAndTouch throws at once fails closed: 503, Retry-After, no crash", async () => {
    const store = new ThrowingStore();
    const errors: unknown[] = [];
    const handler = makeHandler({
      tools: TOOLS,
      sessions: { store },
      observe: {
        onError: (error) => errors.push(error),
      },
    });
    try {
      const session = await initialize(handler);
      // Positive control: the same call is served while the store answers.
      const served = await rpc(handler, session, "tools/call", {
        name: "echo",
        arguments: { text: "a" },
      });
      assert.equal(served.message.result.content[0].text, "a");
      store.failure = new StorageUnavailableError("store down", { retryAfterSeconds: 7 });
      const response = await postEcho(handler, session, 9);
      assert.equal(response.headers.get("retry-after"), "7");
      await assertHttpError(response, 503, { message: /session storage/ });
      assert.ok(errors.some((error) => error instanceof StorageUnavailableError));
      assert.equal((await handler.stats()).inFlight, 0);
      store.failure = undefined;
      const again = await rpc(handler, session, "tools/call", {
        name: "echo",
        arguments: { text: "c" },
      });
      assert.equal(again.message.result.content[0].text, "c");
    } finally {
      await handler.close();
    }
  });

  it("a store that throws a plain error at once is a 500, and the concurrency place is given back", async () => {
    const store = new ThrowingStore();
    const errors: unknown[] = [];
    const handler = makeHandler({
      tools: TOOLS,
      sessions: { store },
      limits: {
        maxConcurrentRequests: 1,
      },
      observe: {
        onError: (error) => errors.push(error),
      },
    });
    try {
      const session = await initialize(handler);
      store.failure = new Error("disk on fire");
      for (const id of [1, 2]) {
        // Not 503 (a place still held by the first failure): 500, for each.
        await assertHttpError(await postEcho(handler, session, id), 500, {
          message: /Internal error/,
        });
      }
      assert.equal(errors.length, 2);
      store.failure = undefined;
      const served = await rpc(handler, session, "tools/call", {
        name: "echo",
        arguments: { text: "back" },
      });
      assert.equal(served.message.result.content[0].text, "back");
    } finally {
      await handler.close();
    }
  });
});
