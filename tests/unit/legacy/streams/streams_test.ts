/**
 * SSE streams in process: the listening (GET) stream, notify(), server→client
 * requests answered by a later POST, and resumption with Last-Event-ID that
 * replays only the same stream of the caller's own session.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool, type McpHandler } from "../../../../mod.ts";
import {
  assertHttpError,
  bodilessRequest,
  deferred,
  initialize,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  readTextUntil,
  rpc,
  type TestSession,
} from "../../../helpers.ts";

function listen(
  handler: McpHandler,
  session: TestSession,
  lastEventId?: string,
): Promise<Response> {
  return handler(bodilessRequest("GET", {
    sessionId: session.id,
    headers: { ...session.headers, "last-event-id": lastEventId },
  }));
}

describe("listening stream (GET)", () => {
  it("opens an SSE stream that starts with a priming event for 2025-11-25 sessions", async () => {
    const handler = makeHandler({ streams: { retryMs: 3000 } });
    try {
      const session = await initialize(handler);
      const response = await listen(handler, session);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
      const { events } = await readSseUntil(response.body!.getReader(), (e) => e.length >= 1);
      assert.equal(events[0].data, "");
      assert.ok(events[0].id);
      assert.equal(events[0].retry, 3000);
    } finally {
      await handler.close();
    }
  });

  it("a second GET of the owner takes the listening stream over (the first connection ends); another principal gets 403", async () => {
    const handler = makeHandler({
      auth: {
        authenticate: (request) => ({ id: request.headers.get("x-user") ?? "alice" }),
      },
    });
    try {
      const session = await initialize(handler);
      const first = await listen(handler, session);
      assert.equal(first.status, 200);
      const firstReader = first.body!.getReader();
      const second = await listen(handler, session);
      assert.equal(second.status, 200);
      const ended = await readTextUntil(firstReader, () => false, 2_000);
      assert.equal(ended.ended, true, "the old connection ends");
      assert.equal((await handler.stats()).openStreams, 1);
      const stranger = await listen(handler, { ...session, headers: { "x-user": "mallory" } });
      await assertHttpError(stranger, 403);
      assert.equal((await handler.stats()).openStreams, 1, "no takeover across principals");
      await second.body?.cancel();
    } finally {
      await handler.close();
    }
  });

  it("notify() delivers on the session's listening stream only (no priming event for 2025-06-18)", async () => {
    const handler = makeHandler();
    try {
      const a = await initialize(handler, { protocolVersion: "2025-06-18" });
      const b = await initialize(handler, { protocolVersion: "2025-06-18" });
      const streamA = (await listen(handler, a)).body!.getReader();
      const streamB = (await listen(handler, b)).body!.getReader();
      assert.equal(
        await handler.notify(a.id, {
          method: "notifications/message",
          params: { level: "info", data: "for a" },
        }),
        true,
      );
      const gotA = await readSseUntil(streamA, (e) => messagesOf(e).length >= 1);
      assert.deepEqual(
        gotA.events[0].comments,
        ["connected"],
        "no priming event before 2025-11-25: a comment opens the body",
      );
      assert.equal(gotA.events[0].retry, undefined, "no priming event before 2025-11-25");
      assert.deepEqual(messagesOf(gotA.events), [
        {
          jsonrpc: "2.0",
          method: "notifications/message",
          params: { level: "info", data: "for a" },
        },
      ]);
      const gotB = await readSseUntil(streamB, (e) => messagesOf(e).length >= 1, 100);
      assert.deepEqual(messagesOf(gotB.events), [], "b's stream must not carry a's notification");
      assert.equal(await handler.notify("no-such-session", { method: "x" }), false);
    } finally {
      await handler.close();
    }
  });

  it("DELETE ends the session's listening stream", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      const reader = (await listen(handler, session)).body!.getReader();
      await readSseUntil(reader, (e) => e.length >= 1);
      assert.equal(
        (await handler(bodilessRequest("DELETE", { sessionId: session.id }))).status,
        204,
      );
      const { ended } = await readSseUntil(reader, () => false, 1000);
      assert.equal(ended, true);
    } finally {
      await handler.close();
    }
  });
});

describe("server→client requests", () => {
  const ask = defineTool({
    name: "ask",
    handler: async (_input, ctx) => {
      const answer = await ctx.elicit({
        message: "Name?",
        requestedSchema: { type: "object", properties: { name: { type: "string" } } },
      });
      return `${answer.action}:${JSON.stringify(answer.content ?? null)}`;
    },
  });

  it("ctx.elicit sends elicitation/create on the request's stream, and the client's POSTed reply resumes the tool", async () => {
    const handler = makeHandler({ tools: [ask] });
    try {
      const session = await initialize(handler, { capabilities: { elicitation: {} } });
      const response = await handler(
        postRequest({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "ask" } }, {
          sessionId: session.id,
        }),
      );
      assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
      const reader = response.body!.getReader();
      const first = await readSseUntil(reader, (e) => messagesOf(e).length >= 1);
      const [elicit] = messagesOf(first.events);
      assert.equal(elicit.method, "elicitation/create");
      assert.equal(elicit.params.message, "Name?");
      assert.ok(elicit.id !== undefined);
      const reply = await handler(
        postRequest({
          jsonrpc: "2.0",
          id: elicit.id,
          result: { action: "accept", content: { name: "Ada" } },
        }, {
          sessionId: session.id,
        }),
      );
      assert.equal(reply.status, 202);
      const rest = await readSseUntil(reader, (e) => messagesOf(e).some((m) => m.id === 1));
      const result = messagesOf(rest.events).find((m) => m.id === 1);
      assert.equal(result.result.content[0].text, 'accept:{"name":"Ada"}');
    } finally {
      await handler.close();
    }
  });

  it("ctx.elicit without the client's elicitation capability fails at once with an isError result", async () => {
    const handler = makeHandler({ tools: [ask] });
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "tools/call", { name: "ask" });
      assert.match(outcome.contentType, /^application\/json/);
      assert.equal(outcome.message.result.isError, true);
      assert.match(outcome.message.result.content[0].text, /elicitation/);
    } finally {
      await handler.close();
    }
  });

  it('ctx.elicit in responseMode "json" fails with an isError result instead of hanging', async () => {
    const handler = makeHandler({ tools: [ask], streams: { responseMode: "json" } });
    try {
      const session = await initialize(handler, { capabilities: { elicitation: {} } });
      const outcome = await rpc(handler, session, "tools/call", { name: "ask" });
      assert.equal(outcome.message.result.isError, true);
    } finally {
      await handler.close();
    }
  });
});

describe("resumption", () => {
  function gatedTool() {
    const gate = deferred();
    const tool = defineTool({
      name: "gated",
      handler: async (_input, ctx) => {
        await ctx.log("info", "before");
        await gate.promise;
        await ctx.log("info", "after");
        return "done";
      },
    });
    return { tool, open: gate.resolve };
  }

  it("GET with Last-Event-ID replays what the client missed on that stream, then the response", async () => {
    const { tool, open } = gatedTool();
    const handler = makeHandler({ tools: [tool] });
    try {
      const session = await initialize(handler);
      const response = await handler(
        postRequest({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "gated" } }, {
          sessionId: session.id,
        }),
      );
      const reader = response.body!.getReader();
      const seen = await readSseUntil(reader, (e) => messagesOf(e).length >= 1);
      const lastId = seen.events.at(-1)!.id!;
      assert.equal(messagesOf(seen.events)[0].params.data, "before");
      await reader.cancel(); // the client drops the connection; the tool goes on
      open();
      // A notification on another stream of the same session must not be replayed.
      await rpc(handler, session, "ping");
      const resumed = await listen(handler, session, lastId);
      assert.equal(resumed.status, 200);
      const replay = await readSseUntil(
        resumed.body!.getReader(),
        (e) => messagesOf(e).some((m) => m.id === 1),
      );
      const messages = messagesOf(replay.events);
      assert.deepEqual(messages.map((m) => m.params?.data ?? `response:${m.id}`), [
        "after",
        "response:1",
      ]);
      assert.equal(messages[1].result.content[0].text, "done");
    } finally {
      await handler.close();
    }
  });

  it("another session's Last-Event-ID replays nothing: the caller gets a fresh listening stream", async () => {
    const { tool, open } = gatedTool();
    const handler = makeHandler({ tools: [tool] });
    try {
      const victim = await initialize(handler);
      const attacker = await initialize(handler);
      const response = await handler(
        postRequest({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "gated" } }, {
          sessionId: victim.id,
        }),
      );
      const reader = response.body!.getReader();
      const seen = await readSseUntil(reader, (e) => messagesOf(e).length >= 1);
      const primingId = seen.events[0].id!;
      open();
      await readSseUntil(reader, () => false, 200);
      const stolen = await listen(handler, attacker, primingId);
      assert.equal(stolen.status, 200);
      const got = await readSseUntil(stolen.body!.getReader(), () => false, 200);
      assert.deepEqual(
        messagesOf(got.events),
        [],
        "nothing of the victim's stream may be replayed",
      );
    } finally {
      await handler.close();
    }
  });
});
