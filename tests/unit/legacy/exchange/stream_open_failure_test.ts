/**
 * Fail closed when the event log cannot open a POST's stream: at each moment
 * a sessionful call switches to a stream (auto mode's slow switch, an early
 * notification, `sse` mode, `ctx.closeStream()`, a server→client request),
 * a log whose `open` rejects (at once, or late, after the call went on)
 * answers the POST `503` + `Retry-After` with a JSON-RPC error body, aborts
 * the tool's signal, leaves no stream, in-flight entry or concurrency slot
 * behind, and never leaves a rejection unhandled (which would end the
 * process). The same handler serves again once the log works.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { defineTool, type HandlerContext, type McpHandler } from "../../../../mod.ts";
import { MemoryEventLog } from "../../../../src/storage/mod.ts";
import type { ResponseMode } from "../../../../src/http/response_mode.ts";
import {
  abortReason,
  assertHttpError,
  deferred,
  initialize,
  makeHandler,
  postRequest,
  rpc,
  type TestSession,
  until,
  within,
} from "../../../helpers.ts";
import {
  type Fault,
  Faults,
  faulty,
  type RejectionTrap,
  settleRejections,
  trapUnhandledRejections,
} from "../../../faulty_storage.ts";

/** How a tool makes its call switch to a stream. */
type Switch = (ctx: HandlerContext) => Promise<unknown>;

interface Case {
  name: string;
  mode: ResponseMode;
  /** What the tool does first; then it waits for its signal. */
  start: Switch;
}

const nothing: Switch = () => Promise.resolve();

const CASES: Case[] = [
  { name: "auto mode's slow switch", mode: "auto", start: nothing },
  { name: "an early notification", mode: "auto", start: (ctx) => ctx.progress(1, 2) },
  { name: "sse mode", mode: "sse", start: nothing },
  {
    name: "ctx.closeStream()",
    mode: "auto",
    start: (ctx) => Promise.resolve(ctx.closeStream()),
  },
  {
    name: "a server→client request",
    mode: "auto",
    // Its own promise rejects with the failure (the tool's to handle); the POST still answers 503.
    start: (ctx) => ctx.listRoots().catch(() => undefined),
  },
];

function setup(mode: ResponseMode, start: Switch, faults: Faults) {
  const signals: AbortSignal[] = [];
  const handler = makeHandler({
    streams: {
      eventLog: faulty(new MemoryEventLog(), faults),
      responseMode: mode,
      heartbeatMs: 0,
    },
    limits: {
      maxConcurrentRequests: 8,
    },
    tools: [
      defineTool({
        name: "wait",
        handler: async (_input, ctx) => {
          signals.push(ctx.signal);
          await start(ctx);
          if (!ctx.signal.aborted) {
            await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          }
          return "stopped";
        },
      }),
      defineTool({ name: "quick", handler: () => "ok" }),
    ],
  });
  return { handler, signals };
}

function callWait(session: TestSession, id: number): Request {
  return postRequest({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "wait", _meta: { progressToken: "p" } },
  }, { sessionId: session.id, protocolVersion: session.protocolVersion });
}

/** The POST failed closed and nothing of it is left. */
async function assertFailedClosed(
  handler: McpHandler,
  response: Response,
  id: number,
): Promise<void> {
  assert.equal(response.headers.get("retry-after"), "1");
  await assertHttpError(response, 503, { id, message: /unreachable|unavailable/i });
  await until(async () => {
    const stats = await handler.stats();
    return stats.inFlight === 0 && stats.openStreams === 0 && stats.concurrentRequests === 0;
  }, "no work, stream or concurrency slot left");
}

/** The same handler serves the session again once the log works. */
async function assertServesAgain(handler: McpHandler, session: TestSession): Promise<void> {
  await assertServesAgainWith(handler, session, "quick");
}

async function assertServesAgainWith(
  handler: McpHandler,
  session: TestSession,
  tool: string,
): Promise<void> {
  const outcome = await rpc(handler, session, "tools/call", { name: tool });
  assert.equal(outcome.status, 200);
  assert.equal(outcome.message.result.isError, undefined, JSON.stringify(outcome.message));
}

describe("the event log fails to open a POST's stream", () => {
  let trap: RejectionTrap;
  beforeEach(() => (trap = trapUnhandledRejections()));
  afterEach(() => trap.stop());

  for (const { name, mode, start } of CASES) {
    for (const fault of ["reject", "held"] as Fault[]) {
      it(`${name}, open ${fault === "reject" ? "rejects" : "rejects late"}: 503, work aborted, nothing left open`, async () => {
        const faults = new Faults();
        const { handler, signals } = setup(mode, start, faults);
        try {
          const session = await initialize(handler, {
            capabilities: { roots: {} },
          });
          faults.set("open", fault);
          const answer = handler(callWait(session, 1));
          if (fault === "held") {
            await until(() => faults.heldCount === 1, "the opening to wait in the log");
            faults.release();
          }
          const response = await within(answer, 5_000, "the POST to answer");
          assert.equal(signals.length, 1);
          assert.ok(await abortReason(signals[0]), "the tool's signal aborts");
          await assertFailedClosed(handler, response, 1);
          faults.clear();
          await assertServesAgain(handler, session);
          await settleRejections();
          assert.deepEqual(trap.reasons, [], "no unhandled rejection");
        } finally {
          await handler.close();
        }
      });
    }
  }

  it("a call that finishes while its stream's opening waits, then fails: 503, nothing unhandled", async () => {
    const faults = new Faults();
    const gate = deferred();
    const handler = makeHandler({
      streams: {
        eventLog: faulty(new MemoryEventLog(), faults),
        heartbeatMs: 0,
      },
      limits: {
        maxConcurrentRequests: 8,
      },
      tools: [defineTool({
        name: "notify-and-return",
        handler: async (_input, ctx) => {
          await ctx.progress(1, 1);
          await gate.promise;
          return "done";
        },
      })],
    });
    try {
      const session = await initialize(handler);
      faults.set("open", "held");
      const answer = handler(postRequest({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "notify-and-return", _meta: { progressToken: "p" } },
      }, { sessionId: session.id, protocolVersion: session.protocolVersion }));
      await until(() => faults.heldCount === 1, "the opening to wait in the log");
      gate.resolve();
      await until(async () => (await handler.stats()).inFlight === 0, "the tool to return");
      faults.release();
      const response = await within(answer, 5_000, "the POST to answer");
      await assertFailedClosed(handler, response, 2);
      faults.clear();
      await assertServesAgainWith(handler, session, "notify-and-return");
      await settleRejections();
      assert.deepEqual(trap.reasons, [], "no unhandled rejection");
    } finally {
      await handler.close();
    }
  });
});
