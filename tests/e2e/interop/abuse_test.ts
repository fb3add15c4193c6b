/**
 * Hostile or broken clients: a flood of bogus cancellations, a replay with
 * another session's event id, and an SSE reader that never reads.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import { defineTool, type HandlerContext } from "../../../mod.ts";
import {
  deferred,
  messageOf,
  random,
  rawGet,
  rawInitialize,
  rawPost,
  responseOf,
  type SseEvent,
  SseReader,
  WAIT_MS,
  waitFor,
  withServer,
  withTimeout,
} from "./helpers.ts";
import { parseSse } from "../../helpers.ts";

/** A tool that runs until the test releases it, recording whether its signal aborted. */
function latchedTool() {
  const started = deferred<HandlerContext>();
  const release = deferred();
  const state = { abortedDuringRun: false };
  const tool = defineTool({
    name: "latched",
    handler: async (_input, ctx) => {
      ctx.signal.addEventListener("abort", () => (state.abortedDuringRun = true), { once: true });
      started.resolve(ctx);
      // Released by each test (and at the server's close); the bound only keeps a broken test from
      // hanging, so it is longer than a flood of 1,000 requests takes on a loaded machine (over 10 s
      // once, at load average 12, which ended the tool mid-flood and failed the in-flight check).
      await withTimeout(release.promise, 6 * WAIT_MS, "the test never released the tool");
      return ctx.signal.aborted ? "aborted" : "finished normally";
    },
  });
  return { tool, started: started.promise, release: () => release.resolve(), state };
}

const tick = defineTool({
  name: "tick",
  input: z.object({ secret: z.string() }),
  handler: async ({ secret }, ctx) => {
    for (let i = 1; i <= 3; i++) await ctx.progress(i, 3, secret);
    return secret;
  },
});

function randomRequestId(inFlight: number): string | number {
  // Strings that look like the in-flight numeric id must not reach it either.
  if (random() < 0.1) return String(inFlight);
  if (random() < 0.5) return `r-${Math.floor(random() * 2 ** 48).toString(36)}`;
  let id: number;
  do id = Math.floor(random() * 1e9); while (id === inFlight);
  return id;
}

describe("abuse", () => {
  it("1,000 notifications/cancelled with unknown request ids all answer 202 and leave an in-flight tool alone", async () => {
    const latched = latchedTool();
    await withServer({ tools: [latched.tool] }, async (server) => {
      const sessionId = await rawInitialize(server.url);
      const inFlightId = 7;
      const call = rawPost(server.url, sessionId, {
        jsonrpc: "2.0",
        id: inFlightId,
        method: "tools/call",
        params: { name: "latched", arguments: {} },
      });
      server.defer(() => latched.release());
      await latched.started;

      const statuses = new Map<number, number>();
      const total = 1_000;
      const concurrency = 25;
      let next = 0;
      const worker = async () => {
        while (next < total) {
          next++;
          const response = await rawPost(server.url, sessionId, {
            jsonrpc: "2.0",
            method: "notifications/cancelled",
            params: { requestId: randomRequestId(inFlightId), reason: "flood" },
          });
          await response.body?.cancel();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      assert.deepEqual([...statuses], [[202, total]]);
      assert.equal(latched.state.abortedDuringRun, false, "no bogus cancellation reached the tool");
      assert.equal((await server.handler.stats()).inFlight, 1);

      latched.release();
      const response = await call;
      assert.equal(response.status, 200);
      const body = await responseOf(response, inFlightId) as {
        id: unknown;
        result: { content: { text: string }[]; isError?: boolean };
      };
      assert.equal(body.id, inFlightId);
      assert.equal(body.result.isError, undefined);
      assert.equal(body.result.content[0].text, "finished normally");
    });
  });

  it("a Last-Event-ID of another session replays nothing of that session", async () => {
    await withServer({ tools: [tick] }, async (server) => {
      const victim = await rawInitialize(server.url);
      const attacker = await rawInitialize(server.url);
      const secret = `secret-${crypto.randomUUID()}`;
      const response = await rawPost(server.url, victim, {
        jsonrpc: "2.0",
        id: "victim-call",
        method: "tools/call",
        params: { name: "tick", arguments: { secret }, _meta: { progressToken: "victim" } },
      });
      const victimEvents = await new SseReader(response.body).rest();
      const victimIds = victimEvents.map((e) => e.id).filter((id): id is string =>
        id !== undefined
      );
      assert.ok(victimIds.length >= 4, "priming and progress events carry ids");
      assert.ok(victimEvents.some((e) => e.data.includes(secret)));

      for (const stolenId of [victimIds[0], victimIds[1]]) {
        const replay = await rawGet(server.url, attacker, { lastEventId: stolenId });
        assert.equal(replay.status, 200, "the attacker gets only a stream of its own session");
        const reader = new SseReader(replay.body);
        const seen: SseEvent[] = [];
        const marker = `marker-${crypto.randomUUID()}`;
        // The marker goes to the attacker's own listening stream; everything before it is what the replay sent.
        await waitFor(
          () =>
            server.handler.notify(attacker, {
              method: "notifications/message",
              params: { level: "info", data: marker },
            }),
          "the attacker's stream is open",
        );
        while (true) {
          const event = await reader.next();
          assert.ok(event !== undefined, "the stream stays open until the marker");
          seen.push(event);
          if (event.data.includes(marker)) break;
        }
        await reader.cancel();
        for (const event of seen) {
          assert.ok(!event.data.includes(secret), `no victim data in ${event.data}`);
          assert.ok(!event.data.includes("victim"), `no victim message in ${event.data}`);
          assert.ok(!victimIds.includes(event.id ?? ""), `no victim event id (${event.id})`);
        }
        assert.deepEqual(
          seen.map(messageOf).filter((m) => m !== undefined).length,
          1,
          "only the marker",
        );
        await waitFor(
          async () => (await server.handler.stats()).openStreams === 0,
          "the attacker's stream closes",
        );
      }
    });
  });

  it("an SSE answer whose reader never reads is dropped at maxStreamBufferBytes, and the tool and handler carry on", async () => {
    const state = { finished: false, sent: 0 };
    const flood = defineTool({
      name: "flood",
      handler: async (_input, ctx) => {
        const line = "x".repeat(10 * 1024);
        for (let i = 0; i < 2_000; i++) {
          await ctx.log("info", { i, line });
          state.sent++;
        }
        state.finished = true;
        return "flooded";
      },
    });
    const ping = defineTool({ name: "ping_tool", handler: () => "pong" });
    await withServer(
      { tools: [flood, ping], streams: { maxStreamBufferBytes: 64 * 1024 } },
      async (server) => {
        const sessionId = await rawInitialize(server.url);
        const response = await rawPost(server.url, sessionId, {
          jsonrpc: "2.0",
          id: 12,
          method: "tools/call",
          params: { name: "flood", arguments: {} },
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-type"), "text/event-stream");
        // The body is never read while the tool runs.
        await waitFor(() => state.finished, "the tool finishes despite the stalled reader");
        assert.equal(state.sent, 2_000);
        await waitFor(async () => {
          const stats = await server.handler.stats();
          return stats.openStreams === 0 && stats.inFlight === 0;
        }, "the stalled connection is released");

        // What reached the client: a truncated stream, not the 20 MB and the result.
        let received = "";
        let failed = false;
        try {
          const reader = response.body!.getReader();
          const decoder = new TextDecoder();
          while (true) {
            const chunk = await withTimeout(
              reader.read(),
              WAIT_MS,
              "the dropped stream neither ends nor fails",
            );
            if (chunk.done) break;
            received += decoder.decode(chunk.value, { stream: true });
          }
        } catch {
          failed = true;
        }
        const events = parseSse(received).filter((event) => event.data?.startsWith("{"));
        assert.ok(
          events.length < 2_000,
          `the connection was dropped (${events.length} events got through, failed: ${failed})`,
        );
        assert.ok(!received.includes('"id":12'), "the result did not go to the dropped connection");

        // The handler is healthy: the same session still answers.
        const after = await rawPost(server.url, sessionId, {
          jsonrpc: "2.0",
          id: 13,
          method: "tools/call",
          params: { name: "ping_tool", arguments: {} },
        });
        assert.equal(after.status, 200);
        assert.equal(
          ((await after.json()) as { result: { content: { text: string }[] } }).result.content[0]
            .text,
          "pong",
        );
        const stats = await server.handler.stats();
        assert.equal(stats.openStreams, 0);
        assert.equal(stats.inFlight, 0);
      },
    );
  });
});
