/**
 * Abandoned calls over real HTTP on the runtime running the test: a client
 * that aborts its fetch leaves work that is abandoned within
 * `orphanTimeoutMs`, and the dropped connections do not stay open while the
 * work runs (Deno keeps a request's socket until its handler returns; 1,500
 * dropped calls under `ulimit -n 1024` used to crash it).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import {
  aborted,
  rawInitialize,
  rawPost,
  SseReader,
  WAIT_MS,
  waitFor,
  withServer,
} from "./helpers.ts";
import { blockingTool } from "../../blocking_tool.ts";

function call(id: number) {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name: "wait" } };
}

/** Open file descriptors of this process; undefined where /proc is missing. */
function openFds(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

describe("abandoned calls over HTTP", () => {
  it("a JSON-mode call whose client aborts is abandoned within orphanTimeoutMs", async () => {
    const waiting = blockingTool({ name: "wait" });
    await withServer(
      { tools: [waiting.tool], streams: { responseMode: "json", orphanTimeoutMs: 200 } },
      async (server) => {
        server.defer(waiting.release);
        const sessionId = await rawInitialize(server.url);
        const client = new AbortController();
        const response = rawPost(server.url, sessionId, call(1), { signal: client.signal }).catch(
          () => "aborted",
        );
        await waitFor(() => waiting.calls.length === 1, "the tool to start");
        client.abort();
        assert.equal(await response, "aborted");
        const ctx = waiting.calls[0].ctx;
        await aborted(ctx.signal);
        assert.equal(ctx.signal.reason, "abandoned");
        await waitFor(
          async () => (await server.handler.stats()).inFlight === 0,
          "the abandoned call to return",
        );
        assert.equal((await server.handler.stats()).abandoned, 1);
      },
    );
  });

  it("an SSE call whose client drops the stream is abandoned within orphanTimeoutMs", async () => {
    const waiting = blockingTool({ name: "wait", announce: true });
    await withServer(
      { tools: [waiting.tool], streams: { orphanTimeoutMs: 200 } },
      async (server) => {
        server.defer(waiting.release);
        const sessionId = await rawInitialize(server.url);
        const client = new AbortController();
        const response = await rawPost(server.url, sessionId, call(1), { signal: client.signal });
        assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
        const reader = new SseReader(response.body);
        await reader.next(); // the priming event
        await reader.next(); // "started"
        client.abort();
        await reader.cancel();
        await waitFor(() => waiting.calls.length === 1, "the tool to wait");
        const ctx = waiting.calls[0].ctx;
        await aborted(ctx.signal);
        assert.equal(ctx.signal.reason, "abandoned");
      },
    );
  });

  it("100 dropped calls whose work runs on do not keep their connections open", async (t) => {
    if (openFds() === undefined) return t.skip("no /proc/self/fd on this system");
    const waiting = blockingTool({ name: "wait", ignoreAbort: true });
    await withServer(
      { tools: [waiting.tool], sessions: { maxRequestsPerSession: 200 } },
      async (server) => {
        server.defer(waiting.release);
        const sessionId = await rawInitialize(server.url);
        const before = openFds()!;
        const clients: AbortController[] = [];
        const responses: Promise<unknown>[] = [];
        for (let id = 1; id <= 100; id++) {
          const client = new AbortController();
          clients.push(client);
          responses.push(
            rawPost(server.url, sessionId, call(id), { signal: client.signal }).catch(() =>
              "aborted"
            ),
          );
        }
        await waitFor(() => waiting.calls.length === 100, "100 calls to start", WAIT_MS);
        for (const client of clients) client.abort();
        await Promise.all(responses);
        // The work goes on (within orphanTimeoutMs), but its sockets must not: allow a few for pools and timers.
        await waitFor(
          () => openFds()! <= before + 20,
          `open descriptors to fall back near ${before} (now ${openFds()})`,
          WAIT_MS,
        );
        assert.equal((await server.handler.stats()).inFlight, 100, "the work itself still runs");
      },
    );
  });
});
