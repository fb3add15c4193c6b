/**
 * A POST that carries requests is answered with JSON or an SSE stream, never
 * `202`: when every request of it was cancelled (or its session ended), the
 * answer is an SSE stream without events, in every response mode. Not even a
 * priming event: it would invite a resume with nothing to resume.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ResponseMode } from "../../../../mod.ts";
import {
  bodilessRequest,
  initialize,
  makeHandler,
  notify,
  postRequest,
  readAnswer,
  within,
} from "../../../helpers.ts";
import { blockingTool } from "../../../blocking_tool.ts";

describe("a POST whose requests were all cancelled", () => {
  const cases: { mode: ResponseMode; protocolVersion: string }[] = [
    { mode: "auto", protocolVersion: "2025-11-25" },
    { mode: "auto", protocolVersion: "2025-06-18" },
    { mode: "json", protocolVersion: "2025-11-25" },
  ];
  for (const { mode, protocolVersion } of cases) {
    it(`${mode} mode, ${protocolVersion}: answers 200 text/event-stream with no JSON-RPC message`, async () => {
      const { tool, started } = blockingTool();
      const handler = makeHandler({ tools: [tool], streams: { responseMode: mode } });
      try {
        const session = await initialize(handler, { protocolVersion });
        const pending = handler(postRequest(
          { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "block" } },
          { sessionId: session.id, protocolVersion },
        ));
        await within(started, 2_000, "the tool to start");
        assert.equal(
          (await notify(handler, session, "notifications/cancelled", { requestId: 7 })).status,
          202,
        );
        const outcome = await within(
          pending.then(readAnswer),
          2_000,
          "the cancelled POST to be answered",
        );
        assert.equal(outcome.status, 200);
        assert.match(outcome.contentType, /^text\/event-stream/);
        assert.deepEqual(outcome.messages, [], "no response for a cancelled request");
        assert.deepEqual(
          outcome.events.filter((event) => event.id !== undefined),
          [],
          "no event id to resume from",
        );
      } finally {
        await handler.close();
      }
    });
  }

  it("a 2025-03-26 batch whose every request was cancelled gets an empty stream, not 202", async () => {
    const { tool, started } = blockingTool();
    const handler = makeHandler({ tools: [tool] });
    try {
      const session = await initialize(handler, { protocolVersion: "2025-03-26" });
      const pending = handler(postRequest(
        [1, 2].map((id) => ({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "block" },
        })),
        { sessionId: session.id, protocolVersion: "2025-03-26" },
      ));
      await within(started, 2_000, "a tool to start");
      // DELETE ends both at once; their POST is still owed a stream or JSON.
      assert.equal(
        (await handler(bodilessRequest("DELETE", { sessionId: session.id }))).status,
        204,
      );
      const outcome = await within(pending.then(readAnswer), 2_000, "the batch to be answered");
      assert.equal(outcome.status, 200);
      assert.match(outcome.contentType, /^text\/event-stream/);
      assert.deepEqual(outcome.messages, []);
    } finally {
      await handler.close();
    }
  });
});
