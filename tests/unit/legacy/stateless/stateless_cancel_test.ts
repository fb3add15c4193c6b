/**
 * `notifications/cancelled` in the 2025 revisions without sessions
 * (stateless_legacy.ts, stateless_cancels.ts), in process: it answers 202 and
 * reaches every call of the same principal with that id; never another
 * principal's, nor a 2026-07-28 request's; an anonymous caller's is ignored;
 * one not found here goes to the bus, and a bus that cannot take it fails the
 * POST. On a bus addressed to owners, a POST still running after a moment
 * records its calls, forgets them with its answer, and a record refused (a
 * cancel came first) cancels them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { McpHandler, McpHandlerOptions } from "../../../../mod.ts";
import type { BusListener, BusMessage, MessageBus } from "../../../../src/storage/mod.ts";
import type { RequestTracker } from "../../../../src/bus/delivery.ts";
import { SlowCalls } from "../../../../src/http/slow_calls.ts";
import type { RequestId } from "../../../../src/jsonrpc/messages.ts";
import { InFlightRegistry } from "../../../../src/legacy/exchange/in_flight.ts";
import { StatelessCancels } from "../../../../src/legacy/stateless/stateless_cancels.ts";
import type { Principal } from "../../../../src/protocol/context/request_context.ts";
import { blockingTool } from "../../../blocking_tool.ts";
import { abortReason, makeHandler, postRequest, VirtualScheduler } from "../../../helpers.ts";
import { modernNotification, modernRequest } from "../../../support/modern_helpers.ts";
import { RecordingBus } from "../../../support/recording_bus.ts";

/** The caller named by the `x-user` header; none is anonymous. */
function byHeader(request: Request): Principal | undefined {
  const user = request.headers.get("x-user");
  return user === null ? undefined : { id: user };
}

function statelessHandler(options: Partial<McpHandlerOptions> = {}) {
  // Its "started" log answers on a stream at once: no response waits on the (unref'd) slow-call timer.
  const blocking = blockingTool({ announce: true });
  const mcp = makeHandler({
    tools: [blocking.tool],
    eras: { legacy: "stateless" },
    auth: { authenticate: byHeader },
    ...options,
  });
  return { mcp, blocking };
}

/** A 2025 POST without a session, from `user` (anonymous when undefined). */
function post(body: unknown, user?: string): Request {
  return postRequest(body, {
    protocolVersion: "2025-11-25",
    headers: user === undefined ? {} : { "x-user": user },
  });
}

const callBlock = (id: RequestId) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "block", arguments: {} },
});

const cancelOf = (requestId: unknown) => ({
  jsonrpc: "2.0",
  method: "notifications/cancelled",
  params: { requestId },
});

/** Starts the `n`-th call of `blocking` from `user`; the call once running, and its response. */
async function start(
  mcp: McpHandler,
  blocking: ReturnType<typeof blockingTool>,
  n: number,
  id: RequestId,
  user?: string,
) {
  const response = mcp(post(callBlock(id), user));
  const running = await blocking.call(n, 3_000);
  return { running, response };
}

/** Cancels `requestId` as `user`; asserts the 202. */
async function cancel(mcp: McpHandler, requestId: unknown, user?: string): Promise<void> {
  const answered = await mcp(post(cancelOf(requestId), user));
  assert.equal(answered.status, 202);
  await answered.body?.cancel();
}

describe("eras.legacy stateless: notifications/cancelled in process", () => {
  it("reaches every call of its principal with that id, and no other principal's", async () => {
    const { mcp, blocking } = statelessHandler();
    try {
      const first = await start(mcp, blocking, 1, 1, "alice");
      const second = await start(mcp, blocking, 2, 1, "alice");
      const bobs = await start(mcp, blocking, 3, 1, "bob");
      const otherId = await start(mcp, blocking, 4, 2, "alice");
      await cancel(mcp, 1, "mallory");
      assert.equal(bobs.running.signal.aborted || first.running.signal.aborted, false);
      await cancel(mcp, 1, "alice");
      // Acted on before its 202: what it reaches is aborted by now.
      assert.equal(first.running.signal.reason, "cancelled");
      assert.equal(second.running.signal.reason, "cancelled");
      assert.equal(bobs.running.signal.aborted, false, "bob's call of the same id runs on");
      assert.equal(otherId.running.signal.aborted, false, "alice's call of another id runs on");
      // A string id is another id: "2" does not reach 2.
      await cancel(mcp, "2", "alice");
      assert.equal(otherId.running.signal.aborted, false);
      await cancel(mcp, 2, "alice");
      assert.equal(otherId.running.signal.reason, "cancelled");
      blocking.release();
      for (const { response } of [first, second, bobs, otherId]) await (await response).text();
    } finally {
      await mcp.close();
    }
  });

  it("an anonymous caller's cancel is ignored; closing the call's response still cancels it", async () => {
    const { mcp, blocking } = statelessHandler();
    try {
      const { running, response } = await start(mcp, blocking, 1, 1);
      await cancel(mcp, 1);
      assert.equal(running.signal.aborted, false, "anonymous callers share one principal");
      await (await response).body?.cancel();
      assert.equal(await abortReason(running.signal), "abandoned");
    } finally {
      await mcp.close();
    }
  });

  it("a 2025 cancel does not reach the principal's 2026-07-28 request of that id, nor the reverse", async () => {
    const { mcp, blocking } = statelessHandler();
    try {
      const legacy = await start(mcp, blocking, 1, 7, "alice");
      const modern = mcp(
        modernRequest("tools/call", { name: "block", arguments: {} }, {
          id: 7,
          headers: { "x-user": "alice" },
        }),
      );
      const modernRunning = await blocking.call(2, 3_000);
      const modernCancel = await mcp(
        modernNotification("notifications/cancelled", { requestId: 7 }, { "x-user": "alice" }),
      );
      assert.equal(modernCancel.status, 202);
      assert.equal(await abortReason(modernRunning.signal), "cancelled");
      assert.equal(legacy.running.signal.aborted, false, "the 2026 cancel leaves the 2025 call");
      // The reverse, on another id.
      const again = mcp(
        modernRequest("tools/call", { name: "block", arguments: {} }, {
          id: 8,
          headers: { "x-user": "alice" },
        }),
      );
      const againRunning = await blocking.call(3, 3_000);
      const legacy8 = await start(mcp, blocking, 4, 8, "alice");
      await cancel(mcp, 8, "alice");
      assert.equal(legacy8.running.signal.reason, "cancelled");
      assert.equal(againRunning.signal.aborted, false, "the 2025 cancel leaves the 2026 request");
      blocking.release();
      for (const response of [modern, again, legacy.response, legacy8.response]) {
        await (await response).text();
      }
    } finally {
      await mcp.close();
    }
  });

  it("a cancel found here stays here; one not found goes to the bus under the principal's 2025 key", async () => {
    const bus = new RecordingBus();
    const { mcp, blocking } = statelessHandler({ bus });
    try {
      const { running, response } = await start(mcp, blocking, 1, 1, "alice");
      await cancel(mcp, 1, "alice");
      assert.equal(running.signal.reason, "cancelled");
      assert.deepEqual(bus.types(), [], "acted on here: nothing crosses the bus");
      await cancel(mcp, 5, "alice");
      await cancel(mcp, 5); // anonymous: nothing is sent
      assert.deepEqual(bus.published.map((text) => JSON.parse(text)), [
        { type: "stateless-cancel", ownerKey: "2025:user:alice", requestId: 5 },
      ]);
      await (await response).text();
    } finally {
      await mcp.close();
    }
  });

  it("a cancel that must cross a bus that cannot take it answers 503", async () => {
    const down: MessageBus = {
      publish: (_message: BusMessage) => Promise.reject(new Error("the bus is down")),
      subscribe: (_listener: BusListener) => Promise.resolve(() => {}),
    };
    const { mcp } = statelessHandler({ bus: down });
    try {
      const answered = await mcp(post(cancelOf(1), "alice"));
      assert.equal(answered.status, 503);
      await answered.body?.cancel();
      // Control: a notification that needs no bus is still 202.
      await cancel(mcp, 1);
    } finally {
      await mcp.close();
    }
  });
});

/** A tracker that records what it is told; `refuse` makes `track` resolve false. */
class Tracker implements RequestTracker {
  readonly log: string[] = [];
  refuse = false;
  track(ownerKey: string, requestId: RequestId): Promise<boolean> {
    this.log.push(`track ${ownerKey} ${requestId}`);
    return Promise.resolve(!this.refuse);
  }
  untrack(ownerKey: string, requestId: RequestId): Promise<void> {
    this.log.push(`untrack ${ownerKey} ${requestId}`);
    return Promise.resolve();
  }
}

/** Cancellations over a registry, a tracker and a watch on a manual clock (200 ms delay). */
function records() {
  const clock = new VirtualScheduler({ manual: true });
  const watch = new SlowCalls(200, 2, clock);
  const inFlight = new InFlightRegistry();
  const tracker = new Tracker();
  const cancels = new StatelessCancels(inFlight, tracker, watch);
  return { clock, watch, inFlight, tracker, cancels };
}

const request = (id: RequestId) => ({ jsonrpc: "2.0" as const, id, method: "tools/call" });

describe("StatelessCancels on a bus addressed to owners", () => {
  it("a POST still running after a moment records its calls, and forgets them with its answer", async () => {
    const { clock, watch, inFlight, tracker, cancels } = records();
    try {
      inFlight.register("p1", 1);
      inFlight.register("p1", 2);
      cancels.begin("p1", "2025:user:alice", [request(1), request(2)]);
      await clock.advance(100);
      assert.deepEqual(tracker.log, [], "not before its grace");
      await clock.advance(300);
      assert.deepEqual(tracker.log, ["track 2025:user:alice 1", "track 2025:user:alice 2"]);
      cancels.end("p1");
      await clock.advance(0);
      assert.deepEqual(tracker.log.slice(2), [
        "untrack 2025:user:alice 1",
        "untrack 2025:user:alice 2",
      ]);
      assert.equal(cancels.size, 0);
    } finally {
      watch.stop();
    }
  });

  it("a POST answered within its grace is never recorded", async () => {
    const { clock, watch, tracker, cancels } = records();
    try {
      cancels.begin("p1", "2025:user:alice", [request(1)]);
      cancels.end("p1");
      await clock.advance(1_000);
      assert.deepEqual(tracker.log, []);
    } finally {
      watch.stop();
    }
  });

  it("a record refused (a cancel came first) cancels the call", async () => {
    const { clock, watch, inFlight, tracker, cancels } = records();
    try {
      tracker.refuse = true;
      const handle = inFlight.register("p1", 1);
      assert.ok(typeof handle !== "string");
      cancels.begin("p1", "2025:user:alice", [request(1)]);
      await clock.advance(400);
      assert.equal(await abortReason(handle.signal), "cancelled");
      cancels.end("p1");
      await clock.advance(0);
      assert.deepEqual(tracker.log, ["track 2025:user:alice 1"], "nothing recorded to remove");
    } finally {
      watch.stop();
    }
  });
});
