/**
 * The sessionful request exchange on its own (`answerLegacyRequests`), wired to a
 * real dispatcher, stream hub and in-flight registry but no handler, no
 * session manager, no HTTP server: a JSON answer, the switch to SSE on a
 * notification and on the slow-call timer, cancellation, `sse` mode, and a
 * client that left before its answer (json mode).
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool } from "../../../../mod.ts";
import { MemoryEventLog } from "../../../../src/storage/mod.ts";
import { SlowCalls } from "../../../../src/http/slow_calls.ts";
import type { JsonRpcRequest } from "../../../../src/jsonrpc/messages.ts";
import { InFlightRegistry } from "../../../../src/legacy/exchange/in_flight.ts";
import { OrphanWatch } from "../../../../src/legacy/streams/orphan_watch.ts";
import { PendingRequests } from "../../../../src/legacy/exchange/pending_requests.ts";
import {
  answerLegacyRequests as answerAtOnceOrLater,
  type LegacyExchangeDependencies,
} from "../../../../src/legacy/exchange/request_exchange.ts";
import type { SessionRecord } from "../../../../src/storage/sessions/session_store.ts";
import { StreamHub } from "../../../../src/legacy/streams/stream_hub.ts";
import type { ResponseMode } from "../../../../src/http/response_mode.ts";
import { ANONYMOUS_PRINCIPAL } from "../../../../src/protocol/context/request_context.ts";
import { Dispatcher } from "../../../../src/protocol/dispatch/dispatcher.ts";
import { blockingTool } from "../../../blocking_tool.ts";
import { abortReason, messagesOf, readSseUntil, stateOf, until, within } from "../../../helpers.ts";
import { KeepAlive } from "../../../../src/http/sse/keep_alive.ts";

/** The exchange's answer as a promise (a synchronous handler's comes back at once). */
const answerLegacyRequests = (
  ...args: Parameters<typeof answerAtOnceOrLater>
): Promise<Response> => Promise.resolve(answerAtOnceOrLater(...args));

const SESSION_ID = "s1";

function session(protocolVersion = "2025-11-25"): SessionRecord {
  return {
    id: SESSION_ID,
    ownerKey: "anonymous",
    protocolVersion,
    clientCapabilities: {},
    createdAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
}

const echo = defineTool({ name: "echo", handler: (input) => JSON.stringify(input) });

/** Everything one exchange needs, real parts only; `stop()` ends their timers. */
function exchangeParts(
  options: {
    mode?: ResponseMode;
    slowAfterMs?: number;
    orphanTimeoutMs?: number;
    // deno-lint-ignore no-explicit-any
    tools?: any[];
  } = {},
) {
  const errors: unknown[] = [];
  const orphans = new OrphanWatch(options.orphanTimeoutMs ?? 60_000);
  const hub = new StreamHub({
    eventLog: new MemoryEventLog(),
    keepAlive: new KeepAlive(0),
    maxBufferedBytes: 1 << 20,
    retryMs: 1_000,
    orphans,
    onError: (error) => errors.push(error),
  });
  const slowCalls = new SlowCalls(options.slowAfterMs ?? 60_000);
  const inFlight = new InFlightRegistry();
  const deps: LegacyExchangeDependencies = {
    dispatcher: new Dispatcher({
      info: { name: "unit", version: "1.0.0" },
      tools: [echo, ...(options.tools ?? [])],
      pageSize: 100,
      maxUriBytes: 1024,
      onError: (error) => errors.push(error),
    }),
    hub,
    inFlight,
    pending: new PendingRequests(),
    responseMode: options.mode ?? "auto",
    clientRequestTimeoutMs: 5_000,
    slowCalls,
    sessions: {
      state: () => {
        throw new Error("no session state in these tests");
      },
      setLogLevel: () => Promise.resolve(),
      subscribe: () => Promise.resolve(),
      unsubscribe: () => Promise.resolve(),
    },
  };
  const stop = () => {
    slowCalls.stop();
    hub.closeAll();
    orphans.close();
  };
  return { deps, hub, inFlight, orphans, errors, stop };
}

function toolCall(id: number, name: string, args: Record<string, unknown> = {}): JsonRpcRequest {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function parts(options: Parameters<typeof exchangeParts>[0] = {}) {
  const made = exchangeParts(options);
  stops.push(made.stop);
  return made;
}

describe("request exchange: JSON answers", () => {
  it("a call that finishes without emitting is answered with one JSON response", async () => {
    const { deps, inFlight } = parts();
    const response = await answerLegacyRequests(
      deps,
      [toolCall(1, "echo", { a: 1 })],
      false,
      session(),
      ANONYMOUS_PRINCIPAL,
    );
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const body = await response.json();
    assert.equal(body.id, 1);
    assert.deepEqual(body.result.content, [{ type: "text", text: '{"a":1}' }]);
    assert.equal(inFlight.size, 0, "the request left the in-flight registry");
  });

  it("a batch is answered with a JSON array, one response per request", async () => {
    const { deps } = parts();
    const response = await answerLegacyRequests(
      deps,
      [toolCall(1, "echo", { n: 1 }), { jsonrpc: "2.0", id: 2, method: "ping" }],
      true,
      session(),
      ANONYMOUS_PRINCIPAL,
    );
    const body = await response.json();
    assert.ok(Array.isArray(body));
    assert.deepEqual(body.map((r: { id: number }) => r.id).sort(), [1, 2]);
  });

  it("a request whose id is already in flight is refused -32600 and does not run", async () => {
    const blocking = blockingTool();
    const { deps } = parts({ tools: [blocking.tool] });
    const first = answerLegacyRequests(
      deps,
      [toolCall(5, "block")],
      false,
      session(),
      ANONYMOUS_PRINCIPAL,
    );
    await within(blocking.started, 3_000, "the first call to start");
    const second = await answerLegacyRequests(
      deps,
      [toolCall(5, "block")],
      false,
      session(),
      ANONYMOUS_PRINCIPAL,
    );
    assert.equal((await second.json()).error.code, -32600);
    assert.equal(blocking.calls.length, 1, "only the first call ran");
    blocking.release();
    assert.equal((await (await within(first, 3_000, "the first answer")).json()).id, 5);
  });
});

describe("request exchange: the switch to SSE", () => {
  it("a notification from a running call turns the answer into a primed SSE stream: priming, notification, response", async () => {
    const blocking = blockingTool({ announce: true });
    const { deps } = parts({ tools: [blocking.tool] });
    const response = await within(
      answerLegacyRequests(deps, [toolCall(3, "block")], false, session(), ANONYMOUS_PRINCIPAL),
      3_000,
      "the answer to open as a stream while the call runs",
    );
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const reader = response.body!.getReader();
    const before = await readSseUntil(reader, (events) => messagesOf(events).length === 1);
    assert.equal(before.events[0].data, "", "the first event primes the stream");
    assert.ok(before.events[0].id, "the priming event carries an event id");
    assert.equal(messagesOf(before.events)[0].method, "notifications/message");
    assert.equal(blocking.calls.length, 1, "the call is still running");
    blocking.calls[0].finish();
    const after = await readSseUntil(reader, () => false);
    assert.equal(after.ended, true, "the stream ends after the response");
    const [answer] = messagesOf(after.events);
    assert.equal(answer.id, 3);
    assert.deepEqual(answer.result.content, [{ type: "text", text: "done" }]);
  });

  it("before 2025-11-25 the stream has no priming event", async () => {
    const blocking = blockingTool({ announce: true });
    const { deps } = parts({ tools: [blocking.tool] });
    const response = await within(
      answerLegacyRequests(
        deps,
        [toolCall(3, "block")],
        false,
        session("2025-06-18"),
        ANONYMOUS_PRINCIPAL,
      ),
      3_000,
      "the answer to open as a stream",
    );
    const reader = response.body!.getReader();
    blocking.release();
    const { events } = await readSseUntil(reader, () => false);
    assert.deepEqual(
      messagesOf(events).map((m) => m.method ?? m.id),
      ["notifications/message", 3],
    );
    assert.equal(
      events.filter((event) => event.data === "").length,
      0,
      `no priming event: ${JSON.stringify(events)}`,
    );
  });

  it("a silent call still running at the slow timer is answered on a primed stream before it finishes", async () => {
    const blocking = blockingTool();
    const { deps } = parts({ tools: [blocking.tool], slowAfterMs: 10 });
    const response = await within(
      answerLegacyRequests(deps, [toolCall(4, "block")], false, session(), ANONYMOUS_PRINCIPAL),
      3_000,
      "the slow timer to open the stream",
    );
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(blocking.calls[0].signal.aborted, false, "the call still runs");
    const reader = response.body!.getReader();
    const primed = await readSseUntil(reader, (events) => events.length >= 1);
    assert.equal(primed.events[0].data, "");
    blocking.calls[0].finish();
    const rest = await readSseUntil(reader, () => false);
    assert.equal(messagesOf(rest.events)[0].id, 4);
    assert.equal(rest.ended, true);
  });

  it("control: before the slow timer fires, a silent running call holds its answer back, then gets JSON", async () => {
    const blocking = blockingTool();
    const { deps } = parts({ tools: [blocking.tool], slowAfterMs: 60_000 });
    const answer = answerLegacyRequests(
      deps,
      [toolCall(4, "block")],
      false,
      session(),
      ANONYMOUS_PRINCIPAL,
    );
    await within(blocking.started, 3_000, "the call to start");
    assert.equal(await stateOf(answer), "pending");
    blocking.calls[0].finish();
    const response = await within(answer, 3_000, "the answer");
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal((await response.json()).id, 4);
  });

  it("sse mode answers even a quick call as a complete SSE body", async () => {
    const { deps } = parts({ mode: "sse" });
    const response = await answerLegacyRequests(
      deps,
      [toolCall(6, "echo")],
      false,
      session(),
      ANONYMOUS_PRINCIPAL,
    );
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const { events, ended } = await readSseUntil(response.body!.getReader(), () => false);
    assert.equal(ended, true);
    assert.deepEqual(messagesOf(events).map((m) => m.id), [6]);
  });
});

describe("request exchange: cancellation", () => {
  it("a cancelled call gets no response: its only request gone, the answer is an SSE body without events", async () => {
    const blocking = blockingTool();
    const { deps, inFlight } = parts({ tools: [blocking.tool] });
    const answer = answerLegacyRequests(
      deps,
      [toolCall(7, "block")],
      false,
      session(),
      ANONYMOUS_PRINCIPAL,
    );
    await within(blocking.started, 3_000, "the call to start");
    assert.equal(inFlight.cancel(SESSION_ID, 7), true);
    assert.equal(await abortReason(blocking.calls[0].signal), "cancelled");
    const response = await within(answer, 3_000, "the answer after the cancellation");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(await response.text(), "");
    assert.equal(inFlight.size, 0);
  });

  it("in a batch of two, the cancelled call is left out and the other is answered", async () => {
    const blocking = blockingTool();
    const { deps, inFlight } = parts({ tools: [blocking.tool] });
    const answer = answerLegacyRequests(
      deps,
      [toolCall(1, "block"), toolCall(2, "echo")],
      true,
      session(),
      ANONYMOUS_PRINCIPAL,
    );
    await within(blocking.started, 3_000, "the blocking call to start");
    inFlight.cancel(SESSION_ID, 1);
    const body = await (await within(answer, 3_000, "the answer")).json();
    assert.deepEqual(body.map((r: { id: number }) => r.id), [2]);
  });
});

describe("request exchange: a client that left (json mode)", () => {
  it("the POST returns 499 at once; the work goes on as an orphan and is adopted when it finishes", async () => {
    const blocking = blockingTool();
    const { deps, orphans, inFlight } = parts({ mode: "json", tools: [blocking.tool] });
    const connection = new AbortController();
    const answer = answerLegacyRequests(
      deps,
      [toolCall(8, "block")],
      false,
      session(),
      ANONYMOUS_PRINCIPAL,
      connection.signal,
    );
    await within(blocking.started, 3_000, "the call to start");
    connection.abort();
    const response = await within(answer, 3_000, "the POST to return after the client left");
    assert.equal(response.status, 499);
    assert.equal(blocking.calls[0].signal.aborted, false, "leaving is not a cancellation");
    assert.equal(orphans.size, 1, "the work waits as an orphan");
    blocking.calls[0].finish();
    await until(() => orphans.size === 0 && inFlight.size === 0, "the finished work to be adopted");
  });

  it("an orphan not done by the orphan timeout is aborted as abandoned", async () => {
    const blocking = blockingTool();
    const { deps, inFlight } = parts({ mode: "json", tools: [blocking.tool], orphanTimeoutMs: 20 });
    const connection = new AbortController();
    const answer = answerLegacyRequests(
      deps,
      [toolCall(9, "block")],
      false,
      session(),
      ANONYMOUS_PRINCIPAL,
      connection.signal,
    );
    await within(blocking.started, 3_000, "the call to start");
    connection.abort();
    assert.equal((await within(answer, 3_000, "the POST to return")).status, 499);
    assert.equal(await abortReason(blocking.calls[0].signal), "abandoned");
    await until(() => inFlight.size === 0, "the abandoned call to leave the registry");
    assert.equal(inFlight.abandoned, 1);
  });
});
