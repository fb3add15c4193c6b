/**
 * Cancellation seen from the official SDK client: an aborted request and a
 * deleted session both abort the running tool's `ctx.signal`.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool, type HandlerContext } from "../../../mod.ts";
import type { RequestId } from "../../../src/types/mod.ts";
import { aborted, deferred, sleep, WAIT_MS, waitFor, withServer } from "./helpers.ts";

/** A tool that runs until its signal aborts (or WAIT_MS passes) and records what happened. */
function slowTool() {
  const started = deferred<HandlerContext>();
  const state = { order: [] as string[], finished: false, outcome: "" };
  const tool = defineTool({
    name: "slow",
    handler: async (_input, ctx) => {
      ctx.signal.addEventListener("abort", () => state.order.push("tool aborted"), {
        once: true,
      });
      started.resolve(ctx);
      try {
        await sleep(WAIT_MS, ctx.signal);
        state.outcome = "completed";
        return "completed";
      } catch {
        state.outcome = "aborted";
        return "aborted";
      } finally {
        state.finished = true;
      }
    },
  });
  return { tool, started: started.promise, state };
}

describe("cancellation", () => {
  it("an SDK request aborted mid-tool aborts ctx.signal after its notifications/cancelled, and gets no result", async () => {
    const slow = slowTool();
    await withServer({ tools: [slow.tool] }, async (server) => {
      const { client, transport } = await server.connect();
      const received: Record<string, unknown>[] = [];
      const deliver = transport.onmessage!;
      transport.onmessage = (message) => {
        received.push(message as Record<string, unknown>);
        deliver(message);
      };
      const sent: Record<string, unknown>[] = [];
      const send = transport.send.bind(transport);
      transport.send = (message, options) => {
        sent.push(message as Record<string, unknown>);
        if ((message as { method?: string }).method === "notifications/cancelled") {
          slow.state.order.push("cancel sent");
        }
        return send(message, options);
      };

      const controller = new AbortController();
      const call = client.callTool({ name: "slow", arguments: {} }, undefined, {
        signal: controller.signal,
      });
      const settled = call.then(() => "resolved", () => "rejected");
      const ctx = await slow.started;
      const requestId: RequestId = ctx.requestId;

      controller.abort("user gave up");
      // Bounded by aborted()'s deadline; the order shows the cancel, not something else, ended it.
      await aborted(ctx.signal);
      assert.deepEqual(slow.state.order, ["cancel sent", "tool aborted"]);
      assert.equal(ctx.signal.reason, "cancelled");
      assert.equal(await settled, "rejected");
      const cancelled = sent.find((m) => m.method === "notifications/cancelled");
      assert.deepEqual((cancelled?.params as { requestId?: unknown })?.requestId, requestId);

      await waitFor(() => slow.state.finished, "the tool returns");
      assert.equal(slow.state.outcome, "aborted");
      await waitFor(async () => (await server.handler.stats()).inFlight === 0, "nothing in flight");
      // A later round-trip on the same session: any response to the cancelled request would have come first.
      await client.ping();
      assert.equal(
        received.filter((m) => m.id === requestId).length,
        0,
        "no response for the cancelled request",
      );
      assert.equal(
        (await server.handler.stats()).openStreams,
        1,
        "only the listening stream is open",
      );
    });
  });

  it("DELETE of the session mid-tool aborts the tool's signal", async () => {
    const slow = slowTool();
    await withServer({ tools: [slow.tool] }, async (server) => {
      const { client, transport } = await server.connect();
      const call = client.callTool({ name: "slow", arguments: {} });
      const settled = call.then(() => "resolved", () => "rejected");
      const ctx = await slow.started;
      assert.equal(ctx.signal.aborted, false);

      await transport.terminateSession();
      await aborted(ctx.signal);
      await waitFor(() => slow.state.finished, "the tool returns");
      assert.equal(slow.state.outcome, "aborted");
      const stats = await server.handler.stats();
      assert.equal(stats.sessions, 0);
      assert.equal(stats.inFlight, 0);
      await waitFor(
        async () => (await server.handler.stats()).openStreams === 0,
        "the session's streams end",
      );

      // The server never answers a request of an ended session; closing the client settles the call.
      await client.close();
      assert.equal(await settled, "rejected");
    });
  });
});
