/**
 * `SessionClient` (src/client/session_client.ts) over an in-memory peer, its
 * own requests: `initialize` and the revision check, results, error
 * responses, "unanswered" responses, deadlines (reset by progress when
 * asked), progress, and cancellation by its signal.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RequestTimeout, RpcError, UnansweredError } from "../../../src/client/rpc_errors.ts";
import type { Progress } from "../../../src/client/session_client.ts";
import { connected, linked, named } from "./linked_transport.ts";

describe("SessionClient", () => {
  it("connects: initialize, the revision to the transport, then notifications/initialized", async () => {
    const { client, near, peer } = linked();
    await client.connect();
    const initialized = await peer.next(named("notifications/initialized"));
    assert.equal(peer.received[0].method, "initialize");
    assert.deepEqual(peer.received[0].params, {
      protocolVersion: "2025-11-25",
      capabilities: { sampling: {} },
      clientInfo: { name: "unit", version: "0.1" },
    });
    assert.equal(peer.received.indexOf(initialized), 1);
    assert.equal(near.version, "2025-11-25");
    assert.equal(client.protocolVersion, "2025-11-25");
    assert.deepEqual(client.serverCapabilities, { tools: { listChanged: true } });
  });

  it("accepts a server answering 2024-11-05", async () => {
    const { client, near } = linked("2024-11-05");
    await client.connect();
    assert.equal(near.version, "2024-11-05");
    assert.equal(client.protocolVersion, "2024-11-05");
  });

  it("refuses a server answering 2026-07-28", async () => {
    const { client, near, peer } = linked("2026-07-28");
    await assert.rejects(client.connect(), (error: Error) => {
      assert.match(error.message, /^Server's protocol version is not supported/);
      return true;
    });
    assert.equal(near.version, undefined);
    assert.equal(client.serverCapabilities, undefined);
    assert.ok(!peer.received.some(named("notifications/initialized")));
  });

  it("resolves a request with its result", async () => {
    const { client } = await connected((m) => ({
      jsonrpc: "2.0",
      id: m.id,
      result: { echoed: m.params },
    }));
    assert.deepEqual(await client.request("tools/call", { name: "x" }), {
      echoed: { name: "x" },
    });
  });

  it("rejects with RpcError for an error response", async () => {
    const { client } = await connected((m) => ({
      jsonrpc: "2.0",
      id: m.id,
      error: { code: -32602, message: "Unknown tool", data: { tool: "x" } },
    }));
    await assert.rejects(client.request("tools/call", {}), (error: unknown) => {
      assert.ok(error instanceof RpcError);
      assert.equal(error.code, -32602);
      assert.deepEqual(error.data, { tool: "x" });
      assert.equal(error.message, "MCP error -32602: Unknown tool");
      return true;
    });
  });

  it("rejects with UnansweredError for a response its transport marks unanswered", async () => {
    const { client, peer } = await connected();
    const call = client.request("tools/call", {});
    const sent = await peer.next(named("tools/call"));
    const error = { code: -32603, message: "The response stream ended without the answer" };
    void peer.deliver({ jsonrpc: "2.0", id: sent.id, error }, { unanswered: true });
    await assert.rejects(call, (e: unknown) => e instanceof UnansweredError);
  });

  it("times out with RequestTimeout and sends notifications/cancelled for it", async () => {
    const { client, peer } = await connected();
    const call = client.request("slow", {}, { timeoutMs: 10 });
    const sent = await peer.next(named("slow"));
    await assert.rejects(call, (e: unknown) => e instanceof RequestTimeout && e.timeoutMs === 10);
    const cancelled = await peer.next(named("notifications/cancelled"));
    assert.equal(cancelled.params.requestId, sent.id);
    assert.match(cancelled.params.reason, /timed out/);
  });

  for (const reset of [false, true]) {
    it(`${reset ? "keeps" : "does not keep"} a request alive on progress when asked`, async () => {
      let stop = false;
      let drip: Promise<void> = Promise.resolve();
      const { client, peer } = await connected((m, peer) => {
        if (m.method !== "slow") return undefined;
        drip = (async () => {
          // 15 steps 20 ms apart: 300 ms in all, past the 200 ms the request has.
          for (let step = 1; step <= 15 && !stop; step++) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            const params = { progressToken: m.params._meta.progressToken, progress: step };
            void peer.send({ jsonrpc: "2.0", method: "notifications/progress", params });
          }
          if (!stop) void peer.send({ jsonrpc: "2.0", id: m.id, result: { done: true } });
        })();
        return undefined;
      });
      const steps: number[] = [];
      const call = client.request("slow", {}, {
        timeoutMs: 200,
        resetTimeoutOnProgress: reset,
        onProgress: (p) => steps.push(p.progress),
      });
      try {
        if (reset) {
          assert.deepEqual(await call, { done: true });
          assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        } else {
          await assert.rejects(call, (e: unknown) => e instanceof RequestTimeout);
          await peer.next(named("notifications/cancelled"));
        }
      } finally {
        stop = true;
        await drip;
      }
    });
  }

  it("tells onProgress each update and sends its id as the progress token", async () => {
    const { client, peer } = await connected();
    const updates: Progress[] = [];
    const call = client.request("work", { _meta: { mine: 1 } }, {
      onProgress: (p) => updates.push(p),
    });
    const sent = await peer.next(named("work"));
    assert.equal(sent.params._meta.progressToken, sent.id);
    assert.equal(sent.params._meta.mine, 1);
    const token = sent.params._meta.progressToken;
    for (
      const params of [
        { progressToken: token, progress: 1, total: 3, message: "one" },
        { progressToken: token, progress: 2 },
        { progressToken: 999, progress: 5 }, // another request's
      ]
    ) void peer.send({ jsonrpc: "2.0", method: "notifications/progress", params });
    void peer.send({ jsonrpc: "2.0", id: sent.id, result: {} });
    await call;
    assert.deepEqual(updates, [{ progress: 1, total: 3, message: "one" }, { progress: 2 }]);
  });

  it("does not ask for progress without onProgress", async () => {
    const { client, peer } = await connected((m) => ({ jsonrpc: "2.0", id: m.id, result: {} }));
    await client.request("quiet", { a: 1 });
    assert.deepEqual((await peer.next(named("quiet"))).params, { a: 1 });
  });

  it("rejects with the signal's reason on abort and sends notifications/cancelled", async () => {
    const { client, peer } = await connected();
    const controller = new AbortController();
    const call = client.request("slow", {}, { signal: controller.signal });
    const sent = await peer.next(named("slow"));
    const reason = new Error("changed my mind");
    controller.abort(reason);
    await assert.rejects(call, (e: unknown) => e === reason);
    const cancelled = await peer.next(named("notifications/cancelled"));
    assert.deepEqual(cancelled.params, { requestId: sent.id, reason: String(reason) });
  });

  it("rejects at once with the reason of a signal already aborted, sending nothing", async () => {
    const { client, peer } = await connected();
    const before = peer.received.length;
    await assert.rejects(client.request("x", {}, { signal: AbortSignal.abort("no") }), /no/);
    assert.equal(peer.received.length, before);
  });
});
