/**
 * A client's reply (a JSON-RPC response to a server→client request) is
 * forwarded to the other instances only when its id is one a tether
 * instance issued and this instance cannot settle itself. A reply for an id
 * no server issued, or one this instance issued and no longer waits for, is
 * dropped without touching the bus, and the POST still gets its 202 (the
 * spec's answer to a posted response). Unsolicited replies once filled the
 * shared bus stream with multi-megabyte entries.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool, type McpHandler } from "../../../mod.ts";
import { MemoryEventLog, MemorySessionStore } from "../../../src/storage/mod.ts";
import {
  initialize,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  type TestSession,
} from "../../helpers.ts";
import { RecordingBus } from "../../support/recording_bus.ts";

const ask = defineTool({
  name: "ask",
  handler: async (_input, ctx) => {
    const answer = await ctx.elicit({
      message: "Name?",
      requestedSchema: { type: "object", properties: { name: { type: "string" } } },
    });
    return `${answer.action}:${String(answer.content?.name)}`;
  },
});

/** Two instances over one store and log; B publishes to a recording bus. */
function pair() {
  const sessions = { store: new MemorySessionStore() };
  const eventLog = new MemoryEventLog();
  const bus = new RecordingBus();
  const a = makeHandler({
    tools: [ask],
    sessions: sessions,
    streams: { eventLog },
    bus: new RecordingBus(),
  });
  const b = makeHandler({ tools: [ask], sessions: sessions, streams: { eventLog }, bus });
  return { a, b, bus };
}

function reply(session: TestSession, id: string | number, name = "Ada") {
  return postRequest(
    { jsonrpc: "2.0", id, result: { action: "accept", content: { name } } },
    { sessionId: session.id, protocolVersion: session.protocolVersion },
  );
}

/** Calls `ask` on `handler`; the elicitation's id and the call's stream. */
async function elicitOn(handler: McpHandler, session: TestSession) {
  const response = await handler(postRequest(
    { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "ask", arguments: {} } },
    { sessionId: session.id, protocolVersion: session.protocolVersion },
  ));
  const reader = response.body!.getReader();
  const { events } = await readSseUntil(
    reader,
    (events) => messagesOf(events).some((m) => m.method === "elicitation/create"),
  );
  const id = messagesOf(events).find((m) => m.method === "elicitation/create").id as string;
  return { id, reader };
}

describe("client replies reach the bus only for requests a server issued", () => {
  it("a reply for an id no server issued: 202, nothing on the bus", async () => {
    const { a, b, bus } = pair();
    try {
      const session = await initialize(b, { capabilities: { elicitation: {} } });
      for (const id of [7, "7", "elicit-1", "tether-", "tether-zz-1"]) {
        assert.equal((await b(reply(session, id, "x".repeat(10_000)))).status, 202, `id ${id}`);
      }
      assert.deepEqual(bus.published, []);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("a second reply to a request this instance already settled: 202, nothing on the bus", async () => {
    const { a, b, bus } = pair();
    try {
      const session = await initialize(b, { capabilities: { elicitation: {} } });
      const { id, reader } = await elicitOn(b, session);
      assert.equal((await b(reply(session, id))).status, 202);
      const rest = await readSseUntil(
        reader,
        (events) => messagesOf(events).some((m) => m.id === 1),
      );
      assert.equal(
        messagesOf(rest.events).find((m) => m.id === 1).result.content[0].text,
        "accept:Ada",
      );
      assert.equal((await b(reply(session, id, "Eve"))).status, 202, "the late duplicate");
      assert.deepEqual(bus.types().filter((type) => type === "reply"), []);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("control: a reply to a request another instance issued is forwarded", async () => {
    const { a, b, bus } = pair();
    try {
      const session = await initialize(a, { capabilities: { elicitation: {} } });
      const { id, reader } = await elicitOn(a, session);
      assert.equal((await b(reply(session, id))).status, 202);
      assert.deepEqual(bus.types().filter((type) => type === "reply"), ["reply"]);
      await reader.cancel();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
