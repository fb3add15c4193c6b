/**
 * The `heartbeatMs` option on both eras' SSE connections: the sessionful
 * listening stream, the 2026-07-28 listen stream and a 2026-07-28 call
 * answered over SSE each carry `: keepalive` comments; 0 turns them off on
 * both; the heartbeats of a sessionful stream keep its session from idling out.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool, type McpHandler } from "../../../../mod.ts";
import {
  bodilessRequest,
  deferred,
  initialize,
  makeHandler,
  postRequest,
  readTextUntil,
  TestClock,
} from "../../../helpers.ts";
import { modernRequest } from "../../../support/modern_helpers.ts";

/** The number of heartbeat comments in `text`. */
function beats(text: string): number {
  return text.split(": keepalive\n\n").length - 1;
}

/** A sessionful listening stream (GET) of a new session. */
async function legacyStream(handler: McpHandler): Promise<Response> {
  const { id } = await initialize(handler);
  const response = await handler(bodilessRequest("GET", { sessionId: id }));
  assert.equal(response.status, 200);
  return response;
}

/** A 2026-07-28 listen stream. */
async function modernStream(handler: McpHandler): Promise<Response> {
  const response = await handler(
    modernRequest("subscriptions/listen", { notifications: { toolsListChanged: true } }),
  );
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  return response;
}

/** Reads `response`'s body until it carried `count` heartbeats (or the deadline), then releases it. */
async function readBeats(response: Response, count: number, timeoutMs = 3_000): Promise<string> {
  const reader = response.body!.getReader();
  try {
    return (await readTextUntil(reader, (text) => beats(text) >= count, timeoutMs)).text;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

describe("heartbeatMs on both eras", () => {
  it("a sessionful and a 2026-07-28 listen stream open together each carry heartbeats", async () => {
    const handler = makeHandler({ streams: { heartbeatMs: 20 }, tools: [] });
    try {
      const legacy = await legacyStream(handler);
      const modern = await modernStream(handler);
      const [legacyText, modernText] = await Promise.all([
        readBeats(legacy, 2),
        readBeats(modern, 2),
      ]);
      assert.ok(beats(legacyText) >= 2, `sessionful stream: ${JSON.stringify(legacyText)}`);
      assert.ok(beats(modernText) >= 2, `2026-07-28 stream: ${JSON.stringify(modernText)}`);
    } finally {
      await handler.close();
    }
  });

  it("a 2026-07-28 call answered over SSE carries heartbeats while it runs", async () => {
    const release = deferred();
    const handler = makeHandler({
      streams: {
        heartbeatMs: 20,
        responseMode: "sse",
      },
      tools: [defineTool({ name: "wait", handler: () => release.promise.then(() => "done") })],
    });
    try {
      const response = await handler(modernRequest("tools/call", { name: "wait", arguments: {} }));
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
      const reader = response.body!.getReader();
      const { text } = await readTextUntil(reader, (text) => beats(text) >= 2, 3_000);
      assert.ok(beats(text) >= 2, `expected two heartbeats, got ${JSON.stringify(text)}`);
      release.resolve();
      const rest = await readTextUntil(reader, (text) => text.includes('"done"'), 3_000);
      assert.match(rest.text, /"done"/);
    } finally {
      release.resolve();
      await handler.close();
    }
  });

  it("heartbeatMs 0 sends none on either era's streams (a 20 ms control in the same window does)", async () => {
    const silent = makeHandler({ streams: { heartbeatMs: 0 }, tools: [] });
    const control = makeHandler({ streams: { heartbeatMs: 20 }, tools: [] });
    try {
      const streams = [
        await legacyStream(silent),
        await modernStream(silent),
        await legacyStream(control),
        await modernStream(control),
      ];
      // All four are read over the same 150 ms: the controls prove a heartbeat fits in it.
      const [legacyText, modernText, legacyControl, modernControl] = await Promise.all(
        streams.map((stream) => readBeats(stream, 1, 150)),
      );
      assert.equal(beats(legacyControl), 1, "positive control (sessionful)");
      assert.equal(beats(modernControl), 1, "positive control (2026-07-28)");
      assert.equal(beats(legacyText), 0);
      assert.equal(beats(modernText), 0);
    } finally {
      await silent.close();
      await control.close();
    }
  });

  it("the heartbeats of an open sessionful stream keep its session from idling out (a session without one expires)", async () => {
    const clock = new TestClock();
    const handler = makeHandler({
      streams: {
        heartbeatMs: 10,
      },
      now: clock.now,
      sessions: { idleTtlMs: 1_000, sweepIntervalMs: 3_600_000 },
      tools: [],
    });
    try {
      const { id: streaming } = await initialize(handler);
      const { id: quiet } = await initialize(handler);
      const stream = await handler(bodilessRequest("GET", { sessionId: streaming }));
      const reader = stream.body!.getReader();
      for (let step = 0; step < 3; step++) {
        clock.advance(600);
        // Two heartbeats after the step: the first one's touch has settled when the second is sent.
        const { text } = await readTextUntil(reader, (text) => beats(text) >= 2, 3_000);
        assert.ok(beats(text) >= 2, `expected heartbeats, got ${JSON.stringify(text)}`);
      }
      // 1,800 ms after both sessions began: only the heartbeats moved the streaming one's deadline.
      const ping = (sessionId: string) =>
        handler(postRequest({ jsonrpc: "2.0", id: 1, method: "ping" }, { sessionId }));
      assert.equal((await ping(quiet)).status, 404, "control: a session with no stream idled out");
      assert.equal((await ping(streaming)).status, 200);
      await reader.cancel();
    } finally {
      await handler.close();
    }
  });
});
