/**
 * Storage fails at each step, and the handler fails closed: for every
 * method of the session store, the event log and the message bus, a double
 * whose method rejects (from the first request on) runs a whole session
 * (initialize, a call that notifies early, a call that runs long enough to
 * switch to a stream, `logging/setLevel`, the listening GET, DELETE) while
 * the sweep and heartbeat timers tick. Every answer is a success, or `503`
 * + `Retry-After` with a JSON-RPC error body, or a stream that ends; no
 * rejection is left unhandled; and once storage works again the same
 * handler serves a fresh session and closes.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { defineTool, type McpHandler } from "../../mod.ts";
import { MemoryBus, MemoryEventLog, MemorySessionStore } from "../../src/storage/mod.ts";
import {
  bodilessRequest,
  deferred,
  initializeMessage,
  makeHandler,
  postRequest,
  readTextUntil,
  type TestSession,
  until,
  within,
} from "../helpers.ts";
import {
  Faults,
  faulty,
  type RejectionTrap,
  settleRejections,
  trapUnhandledRejections,
} from "../faulty_storage.ts";

const STEPS: { target: "store" | "log" | "bus"; methods: string[] }[] = [
  {
    target: "store",
    methods: [
      "create",
      "get",
      "getAndTouch",
      "touch",
      "update",
      "delete",
      "sweep",
      "readState",
      "writeState",
      "updateState",
    ],
  },
  {
    target: "log",
    methods: ["open", "append", "appendMany", "complete", "replayAfter", "deleteSession"],
  },
  { target: "bus", methods: ["publish", "subscribe"] },
];

/** Resolves once `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function setup(
  faults: Record<"store" | "log" | "bus", Faults>,
  errors: unknown[],
  finishSlow: () => Promise<void>,
) {
  const handler = makeHandler({
    sessions: { store: faulty(new MemorySessionStore(), faults.store), sweepIntervalMs: 5 },
    streams: {
      eventLog: faulty(new MemoryEventLog(), faults.log),
      heartbeatMs: 5,
    },
    bus: faulty(new MemoryBus(), faults.bus),
    observe: {
      onError: (error) => errors.push(error),
    },
    tools: [
      defineTool({
        name: "notify",
        handler: async (_input, ctx) => {
          await ctx.progress(1, 1);
          await ctx.session!.set("seen", true);
          await ctx.session!.get("seen");
          return String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1));
        },
      }),
      defineTool({
        name: "slow",
        handler: async (_input, ctx) => {
          await ctx.progress(1, 2);
          // Until the test lets it go (its session's DELETE is answered), unless aborted (a stream
          // that failed closed, or the DELETE).
          await Promise.race([finishSlow(), aborted(ctx.signal)]);
          await ctx.progress(2, 2);
          return "slow";
        },
      }),
    ],
  });
  return handler;
}

/** A response is a success (its body read to the end), or 503 + Retry-After with a JSON-RPC error. */
async function assertFailsClosed(response: Response, what: string): Promise<void> {
  const text = await within(response.text(), 5_000, `the body of ${what} to end`);
  if (response.status === 503) {
    assert.equal(response.headers.get("retry-after"), "1", `${what}: Retry-After`);
    const body = JSON.parse(text);
    assert.equal(body.jsonrpc, "2.0", `${what}: a JSON-RPC error body`);
    assert.equal(typeof body.error.code, "number", `${what}: a JSON-RPC error body`);
    return;
  }
  assert.ok(
    [200, 202, 204].includes(response.status),
    `${what}: answered ${response.status}: ${text}`,
  );
}

function call(session: TestSession, id: number, name: string): Request {
  return postRequest({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, _meta: { progressToken: `p${id}` } },
  }, { sessionId: session.id, protocolVersion: session.protocolVersion });
}

/**
 * One whole session; steps after a failed initialize are skipped (there is no session).
 * `finishSlow` lets the long call return once the DELETE is answered (if it did not end it).
 */
async function runSession(
  handler: McpHandler,
  finishSlow: () => void,
): Promise<TestSession | undefined> {
  const initialized = await handler(postRequest(initializeMessage()));
  const sessionId = initialized.headers.get("mcp-session-id");
  await assertFailsClosed(initialized, "initialize");
  if (sessionId === null) return undefined;
  const session: TestSession = {
    id: sessionId,
    protocolVersion: "2025-11-25",
    headers: {},
    result: undefined,
  };
  const options = { sessionId, protocolVersion: session.protocolVersion };
  const quick = [
    handler(call(session, 1, "notify")),
    handler(postRequest({
      jsonrpc: "2.0",
      id: 3,
      method: "logging/setLevel",
      params: { level: "info" },
    }, options)),
  ];
  // The long call: its stream's priming event id, then the client drops it and resumes.
  const slow = await within(handler(call(session, 2, "slow")), 5_000, "the long call");
  let resumed: Promise<Response> | undefined;
  if (slow.status === 200) {
    const reader = slow.body!.getReader();
    const head = await readTextUntil(reader, (text) => /^id: /m.test(text), 5_000);
    await reader.cancel();
    const lastEventId = /^id: (.*)$/m.exec(head.text)?.[1];
    if (lastEventId !== undefined) {
      resumed = handler(bodilessRequest("GET", {
        ...options,
        headers: { "last-event-id": lastEventId },
      }));
    }
  } else await assertFailsClosed(slow, "the long call");
  const listening = await handler(bodilessRequest("GET", options));
  if (listening.status === 200) {
    // Open until a heartbeat: it keeps the session alive in the store (get, then touch).
    const reader = listening.body!.getReader();
    await readTextUntil(reader, (text) => text.includes(": keepalive"), 5_000);
    await reader.cancel();
  } else await assertFailsClosed(listening, "GET");
  for (const [index, answer] of quick.entries()) {
    await assertFailsClosed(await within(answer, 5_000, `request ${index}`), `request ${index}`);
  }
  // DELETE while the long call still runs: its stream ends (and is marked complete in the log).
  await assertFailsClosed(await handler(bodilessRequest("DELETE", options)), "DELETE");
  finishSlow();
  if (resumed !== undefined) {
    await assertFailsClosed(await within(resumed, 5_000, "the resume"), "the resume");
  }
  return session;
}

describe("storage fails at each step: the handler fails closed", () => {
  let trap: RejectionTrap;
  beforeEach(() => (trap = trapUnhandledRejections()));
  afterEach(() => trap.stop());

  for (const { target, methods } of STEPS) {
    for (const method of methods) {
      it(`${target}.${method} rejects: 503 or success, no unhandled rejection, served again after`, async () => {
        const faults = { store: new Faults(), log: new Faults(), bus: new Faults() };
        const errors: unknown[] = [];
        let slowCalls = deferred();
        const handler = setup(faults, errors, () => slowCalls.promise);
        try {
          faults[target].set(method, "reject");
          await runSession(handler, () => slowCalls.resolve());
          // The sweep timer ticks again while storage fails, and late failures get their turn.
          const sweeps = () => faults.store.calls.filter((called) => called === "sweep").length;
          const before = sweeps();
          await until(() => sweeps() > before, "the sweep to tick while storage fails");
          slowCalls.resolve(); // also when the session ended early
          slowCalls = deferred();
          await settleRejections();
          assert.deepEqual(trap.reasons, [], "no unhandled rejection");
          assert.ok(
            faults[target].calls.includes(method),
            `positive control: ${target}.${method} was called`,
          );
          faults[target].clear();
          const again = await runSession(handler, () => slowCalls.resolve());
          assert.ok(again !== undefined, "a fresh session works again");
          await until(async () => {
            const stats = await handler.stats();
            return stats.inFlight === 0 && stats.openStreams === 0;
          }, "no work or stream left");
        } finally {
          slowCalls.resolve();
          await within(handler.close(), 5_000, "close()");
        }
        await settleRejections();
        assert.deepEqual(trap.reasons, [], "no unhandled rejection after close");
      });
    }
  }
});
