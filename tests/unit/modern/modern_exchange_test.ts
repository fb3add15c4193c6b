/**
 * The 2026-07-28 exchange on its own (`answerModernRequest`), with a real
 * dispatcher, work registry and requestState codec but no handler, no
 * envelope parsing, no HTTP server: the JSON answer, the switch to SSE on
 * progress (and on a log message only when the envelope asked for one), an
 * `input_required` round and its retry, the 400 of a missing capability, and
 * cancellation by a closed stream or a hung-up JSON POST.
 */

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AnyToolDefinition, defineTool } from "../../../mod.ts";
import { KeepAlive } from "../../../src/http/sse/keep_alive.ts";
import { ErrorCode } from "../../../src/jsonrpc/error_codes.ts";
import type { JsonRpcRequest } from "../../../src/jsonrpc/messages.ts";
import type { ModernEnvelope } from "../../../src/modern/requests/envelope.ts";
import {
  answerModernRequest as answerAtOnceOrLater,
  type ModernExchangeDependencies,
} from "../../../src/modern/exchange.ts";
import { ModernInFlight } from "../../../src/modern/in_flight.ts";
import {
  RequestStateCodec,
  type RequestStateRefusalReason,
} from "../../../src/modern/rounds/request_state.ts";
import type { ResponseMode } from "../../../src/http/response_mode.ts";
import { ANONYMOUS_PRINCIPAL } from "../../../src/protocol/context/request_context.ts";
import { Dispatcher } from "../../../src/protocol/dispatch/dispatcher.ts";
import type { ClientCapabilities } from "../../../src/protocol/types.ts";
import { blockingTool } from "../../blocking_tool.ts";
import { abortReason, messagesOf, readSseUntil, until, within } from "../../helpers.ts";
import { MODERN } from "../../support/modern_helpers.ts";

/** The exchange's answer as a promise (a synchronous handler's comes back at once). */
const answerModernRequest = (
  ...args: Parameters<typeof answerAtOnceOrLater>
): Promise<Response> => Promise.resolve(answerAtOnceOrLater(...args));

const SERVER_INFO = { name: "unit", version: "1.0.0" };

const echo = defineTool({ name: "echo", handler: (input) => JSON.stringify(input) });

const ask = defineTool({
  name: "ask",
  handler: async (_input, ctx) => {
    const answer = await ctx.elicit({
      message: "Name?",
      requestedSchema: { type: "object", properties: { name: { type: "string" } } },
    }, { key: "user_name" });
    return `Hello, ${answer.action === "accept" ? answer.content?.name : answer.action}`;
  },
});

const chatty = defineTool({
  name: "chatty",
  handler: async (_input, ctx) => {
    await ctx.log("info", "hello");
    return "said hello";
  },
});

/** Everything one modern exchange needs, real parts only; `stop()` ends their timers. */
function exchangeParts(options: { mode?: ResponseMode; tools?: AnyToolDefinition[] } = {}) {
  const errors: unknown[] = [];
  const refused: RequestStateRefusalReason[] = [];
  const dropped: string[] = [];
  const work = new ModernInFlight(100);
  const keepAlive = new KeepAlive(0);
  let codec: Promise<RequestStateCodec> | undefined;
  const deps: ModernExchangeDependencies = {
    dispatcher: new Dispatcher({
      info: SERVER_INFO,
      tools: [echo, ask, chatty, ...(options.tools ?? [])],
      pageSize: 100,
      maxUriBytes: 1024,
      onError: (error) => errors.push(error),
    }),
    serverInfo: SERVER_INFO,
    responseMode: options.mode ?? "auto",
    maxBufferedBytes: 1 << 20,
    keepAlive,
    requestState: () =>
      codec ??= RequestStateCodec.create({ keys: ["a secret of at least thirty-two bytes!"] }),
    cacheHints: {},
    work,
    onError: (error) => errors.push(error),
    onStateRefused: (reason) => refused.push(reason),
    onDropped: (reason) => dropped.push(reason),
  };
  const stop = () => {
    work.stop();
    keepAlive.stop();
  };
  return { deps, work, errors, refused, dropped, stop };
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

function envelope(
  capabilities: ClientCapabilities = {},
  logLevel?: ModernEnvelope["logLevel"],
): ModernEnvelope {
  return {
    protocolVersion: MODERN,
    clientCapabilities: capabilities,
    ...(logLevel === undefined ? {} : { logLevel }),
  };
}

function toolCall(id: number, name: string, extra: Record<string, unknown> = {}): JsonRpcRequest {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {}, ...extra } };
}

describe("modern exchange: JSON answers", () => {
  it("a call that finishes without emitting is one JSON response, encoded complete with serverInfo", async () => {
    const { deps, work } = parts();
    const response = await answerModernRequest(
      deps,
      toolCall(1, "echo", { arguments: { a: 1 } }),
      envelope(),
      ANONYMOUS_PRINCIPAL,
    );
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const body = await response.json();
    assert.equal(body.id, 1);
    assert.equal(body.result.resultType, "complete");
    assert.deepEqual(body.result.content, [{ type: "text", text: '{"a":1}' }]);
    assert.deepEqual(body.result._meta["io.modelcontextprotocol/serverInfo"], SERVER_INFO);
    assert.equal(work.size, 0, "the request left the work registry");
  });

  it("a protocol error is a 200 JSON error response", async () => {
    const { deps } = parts();
    const response = await answerModernRequest(
      deps,
      toolCall(2, "no_such_tool"),
      envelope(),
      ANONYMOUS_PRINCIPAL,
    );
    assert.equal(response.status, 200);
    assert.equal((await response.json()).error.code, ErrorCode.InvalidParams);
  });

  it("a log message without a level in the envelope is not sent: the answer stays JSON", async () => {
    const { deps } = parts();
    const response = await answerModernRequest(
      deps,
      toolCall(3, "chatty"),
      envelope(),
      ANONYMOUS_PRINCIPAL,
    );
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal((await response.json()).result.content[0].text, "said hello");
  });
});

describe("modern exchange: SSE", () => {
  it("progress from a running call opens an SSE stream: the notification, then the response, then the end", async () => {
    const blocking = blockingTool();
    const progressing = defineTool({
      name: "progressing",
      handler: async (_input, ctx) => {
        await ctx.progress(1, 2, "halfway");
        return await blocking.tool.handler({}, ctx);
      },
    });
    const { deps, work } = parts({ tools: [progressing] });
    const response = await within(
      answerModernRequest(
        deps,
        toolCall(4, "progressing", { _meta: { progressToken: "p1" } }),
        envelope(),
        ANONYMOUS_PRINCIPAL,
      ),
      3_000,
      "the stream to open while the call runs",
    );
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const reader = response.body!.getReader();
    const first = await readSseUntil(reader, (events) => messagesOf(events).length === 1);
    assert.deepEqual(messagesOf(first.events)[0], {
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: "p1", progress: 1, total: 2, message: "halfway" },
    });
    assert.equal(first.events.some((event) => event.id !== undefined), false, "no event ids");
    assert.equal(work.size, 1, "still running");
    blocking.release();
    const rest = await readSseUntil(reader, () => false);
    assert.equal(rest.ended, true);
    const [answer] = messagesOf(rest.events);
    assert.equal(answer.id, 4);
    assert.equal(answer.result.resultType, "complete");
    await until(() => work.size === 0, "the request to leave the work registry");
  });

  it("a log message is streamed when the envelope names a level", async () => {
    const { deps } = parts();
    const response = await answerModernRequest(
      deps,
      toolCall(5, "chatty"),
      envelope({}, "info"),
      ANONYMOUS_PRINCIPAL,
    );
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const { events, ended } = await readSseUntil(response.body!.getReader(), () => false);
    assert.equal(ended, true);
    assert.deepEqual(
      messagesOf(events).map((m) => m.method ?? m.id),
      ["notifications/message", 5],
    );
  });

  it("closing the stream cancels the call: its signal aborts with client-gone", async () => {
    const blocking = blockingTool({ name: "progressing" });
    const announcing = defineTool({
      name: "announcing",
      handler: async (_input, ctx) => {
        await ctx.progress(1);
        return await blocking.tool.handler({}, ctx);
      },
    });
    const { deps, dropped } = parts({ tools: [announcing] });
    const response = await answerModernRequest(
      deps,
      toolCall(6, "announcing", { _meta: { progressToken: 1 } }),
      envelope(),
      ANONYMOUS_PRINCIPAL,
    );
    const reader = response.body!.getReader();
    await readSseUntil(reader, (events) => messagesOf(events).length === 1);
    const call = await blocking.call(1);
    await reader.cancel();
    assert.equal(await abortReason(call.signal), "client-gone");
    assert.deepEqual(dropped, ["client-gone"]);
  });
});

describe("modern exchange: input_required rounds", () => {
  it("a call that elicits answers input_required with a sealed requestState; the retry with the answer completes", async () => {
    const { deps } = parts();
    const caps = { elicitation: {} };
    const first = await (await answerModernRequest(
      deps,
      toolCall(7, "ask"),
      envelope(caps),
      ANONYMOUS_PRINCIPAL,
    )).json();
    assert.equal(first.result.resultType, "input_required");
    assert.equal(first.result.inputRequests.user_name.method, "elicitation/create");
    assert.equal(typeof first.result.requestState, "string");

    const second = await (await answerModernRequest(
      deps,
      toolCall(8, "ask", {
        inputResponses: { user_name: { action: "accept", content: { name: "Alice" } } },
        requestState: first.result.requestState,
      }),
      envelope(caps),
      ANONYMOUS_PRINCIPAL,
    )).json();
    assert.equal(second.result.resultType, "complete");
    assert.equal(second.result.content[0].text, "Hello, Alice");
  });

  it("a tampered requestState answers -32602 and is reported as refused, not as an error", async () => {
    const { deps, refused, errors } = parts();
    const body = await (await answerModernRequest(
      deps,
      toolCall(9, "ask", {
        inputResponses: { user_name: { action: "accept", content: { name: "Mallory" } } },
        requestState: "not-a-sealed-state",
      }),
      envelope({ elicitation: {} }),
      ANONYMOUS_PRINCIPAL,
    )).json();
    assert.equal(body.error.code, ErrorCode.InvalidParams);
    assert.equal(body.error.message, "Invalid or expired requestState");
    assert.equal(refused.length, 1);
    assert.deepEqual(errors, []);
  });

  it("a call that elicits from a client without the capability answers 400 with -32021 and the capability", async () => {
    const { deps } = parts();
    const response = await answerModernRequest(
      deps,
      toolCall(10, "ask"),
      envelope(),
      ANONYMOUS_PRINCIPAL,
    );
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.error.code, ErrorCode.MissingRequiredClientCapability);
    assert.deepEqual(body.error.data.requiredCapabilities, { elicitation: {} });
  });
});

describe("modern exchange: a hung-up JSON POST (json mode)", () => {
  it("the POST returns 499 and the call is cancelled: its signal aborts with client-gone", async () => {
    const blocking = blockingTool();
    const { deps, work } = parts({ mode: "json", tools: [blocking.tool] });
    const hangUp = new AbortController();
    const answer = answerModernRequest(
      deps,
      toolCall(11, "block"),
      envelope(),
      ANONYMOUS_PRINCIPAL,
      hangUp.signal,
    );
    const call = await blocking.call(1);
    hangUp.abort();
    assert.equal((await within(answer, 3_000, "the POST to return")).status, 499);
    assert.equal(await abortReason(call.signal), "client-gone");
    await until(() => work.size === 0, "the cancelled call to leave the work registry");
  });
});
