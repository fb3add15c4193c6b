/**
 * Tools and requests the bus tests share: `hold` runs until its signal
 * aborts (and records why), `ask` waits for the client's answer to an
 * elicitation; `pair` makes two instances of one server in this process.
 * Not a test file itself.
 * @module
 */
import { defineResource, defineTool, type McpHandler, type Principal } from "../../mod.ts";
import {
  MemoryBus,
  MemoryEventLog,
  MemorySessionStore,
  type MessageBus,
} from "../../src/storage/mod.ts";
import {
  deferred,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  type TestSession,
} from "../helpers.ts";

/** What the tools report: `hold` started, and why each `hold` ended. */
export interface Probe {
  started: ReturnType<typeof deferred<void>>;
  reasons: unknown[];
}

/** A fresh probe. */
export function newProbe(): Probe {
  return { started: deferred<void>(), reasons: [] };
}

/** `hold` and `ask`, reporting to `probe`. */
export function tools(probe: Probe) {
  return [
    defineTool({
      name: "hold",
      handler: async (_input, ctx) => {
        probe.started.resolve();
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        probe.reasons.push(ctx.signal.reason);
        return "stopped";
      },
    }),
    defineTool({
      name: "ask",
      handler: async (_input, ctx) => {
        const answer = await ctx.elicit({
          message: "Name?",
          requestedSchema: { type: "object", properties: { name: { type: "string" } } },
        });
        return `${answer.action}:${String(answer.content?.name)}`;
      },
    }),
  ];
}

/** A `tools/call` of `name` in `session`. */
export function callRequest(session: TestSession, id: number | string, name: string): Request {
  return postRequest(
    { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } },
    { sessionId: session.id, protocolVersion: session.protocolVersion, headers: session.headers },
  );
}

/** Calls `ask` (id 1) on `handler` and reads its stream up to the elicitation request. */
export async function callAsk(handler: McpHandler, session: TestSession) {
  const response = await handler(callRequest(session, 1, "ask"));
  const reader = response.body!.getReader();
  const { events } = await readSseUntil(
    reader,
    (events) => messagesOf(events).some((m) => m.method === "elicitation/create"),
  );
  return { reader, elicit: messagesOf(events).find((m) => m.method === "elicitation/create") };
}

/**
 * Two instances sharing a session store and an event log, on MemoryBus
 * peers (or the buses given); `bus: false` is the control without a bus.
 * The caller is named by an `x-user` header.
 */
export function pair(options: { bus?: boolean | [MessageBus, MessageBus] } = {}) {
  const store = new MemorySessionStore();
  const eventLog = new MemoryEventLog();
  const probe: Probe = newProbe();
  const first = new MemoryBus();
  const buses: [MessageBus, MessageBus] | undefined = Array.isArray(options.bus)
    ? options.bus
    : options.bus === false
    ? undefined
    : [first, first.peer()];
  const make = (bus: MessageBus | undefined) =>
    makeHandler({
      tools: tools(probe),
      resources: [
        defineResource({ uri: "test://doc", name: "doc", read: () => "text" }),
      ],
      auth: {
        authenticate: (request): Principal | undefined => {
          const user = request.headers.get("x-user");
          return user === null ? undefined : { id: user };
        },
      },
      sessions: { store },
      streams: {
        eventLog,
      },
      ...(bus === undefined ? {} : { bus }),
    });
  return { a: make(buses?.[0]), b: make(buses?.[1]), probe };
}

/** The headers of the principal `alice`. */
export const alice = { "x-user": "alice" };
