/**
 * A client's reply crosses the bus only when some instance still awaits it:
 * the instance that sends a server→client request records its id in the
 * session's shared state first, and one that gets a reply it cannot settle
 * forwards it only for an id recorded there. A forged id in the issued shape
 * (another live instance's tag, a number it never issued) and a late
 * duplicate stay off the bus (202); a real reply still reaches the tool on
 * the other instance. Two handlers on one real redis-server, each with its
 * own backend; what each publishes is counted on its bus.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { defineTool, type McpHandler } from "../../../mod.ts";
import { type BusMessage, MemorySessionStore, type MessageBus } from "../../../src/storage/mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { Faults, faulty } from "../../faulty_storage.ts";
import {
  initialize,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  rpc,
  type TestSession,
} from "../../helpers.ts";
import { describeRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const ask = defineTool({
  name: "ask",
  handler: async (_input, ctx) => {
    try {
      const answer = await ctx.elicit({
        message: "Name?",
        requestedSchema: { type: "object", properties: { name: { type: "string" } } },
      });
      return `${answer.action}:${String(answer.content?.name)}`;
    } catch (error) {
      return `rejected:${(error as Error).message}`;
    }
  },
});

interface Instance {
  handler: McpHandler;
  backend: RedisBackend;
  /** The types of the messages this instance published. */
  published: string[];
}

let prefixes = 0;

/** Instances on one prefix; `faults` (if given) sits in front of each session store. */
async function instances(count: number, faults?: Faults): Promise<Instance[]> {
  const prefix = `awaited${++prefixes}:`;
  const made: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const backend = await createRedisBackend({ url: redis.url }, {
      prefix,
      onError: () => {},
      bus: { blockMs: 1_000 },
    });
    const published: string[] = [];
    const bus: MessageBus = {
      publish: (message: BusMessage) => {
        published.push(message.type);
        return backend.bus.publish(message);
      },
      subscribe: (listener) => backend.bus.subscribe(listener),
    };
    const store = faults === undefined
      ? backend.sessionStore
      : faulty(backend.sessionStore, faults);
    const handler = makeHandler({
      tools: [ask],
      sessions: { store },
      streams: {
        eventLog: backend.eventLog,
        // Without the fix, test 4's elicitation goes out unanswered: it ends instead of hanging.
        clientRequestTimeoutMs: 2_000,
      },
      bus,
    });
    made.push({ handler, backend, published });
  }
  return made;
}

async function closeAll(list: Instance[]): Promise<void> {
  for (const { handler, backend } of list) {
    await handler.close();
    await backend.close();
  }
}

function reply(session: TestSession, id: string | number, name = "Ada") {
  return postRequest(
    { jsonrpc: "2.0", id, result: { action: "accept", content: { name } } },
    { sessionId: session.id, protocolVersion: session.protocolVersion },
  );
}

/** Calls `ask` on `handler`; the elicitation's id and the call's stream. */
async function elicitOn(handler: McpHandler, session: TestSession, callId = 1) {
  const response = await handler(postRequest(
    { jsonrpc: "2.0", id: callId, method: "tools/call", params: { name: "ask", arguments: {} } },
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

/** Reads the call's stream until its result; the tool's text. */
async function resultOf(reader: ReadableStreamDefaultReader<Uint8Array>, callId = 1) {
  const { events } = await readSseUntil(
    reader,
    (events) => messagesOf(events).some((m) => m.id === callId),
  );
  return messagesOf(events).find((m) => m.id === callId).result.content[0].text as string;
}

function replies(instance: Instance): number {
  return instance.published.filter((type) => type === "reply").length;
}

describeRedis("client replies cross the bus only when an instance awaits them", () => {
  it("a forged id with another live instance's tag: 202, nothing on the bus", async () => {
    const list = await instances(2);
    const [a, b] = list;
    try {
      const session = await initialize(a.handler, { capabilities: { elicitation: {} } });
      const { id, reader } = await elicitOn(a.handler, session);
      const tag = /^tether-([0-9a-f]{8})-/.exec(id)![1];
      for (const forged of [`tether-${tag}-999999`, `tether-${tag}-1234567`]) {
        const answer = await b.handler(reply(session, forged, "x".repeat(100_000)));
        assert.equal(answer.status, 202, forged);
      }
      assert.equal(replies(b), 0, "no forged reply was published");
      await reader.cancel();
    } finally {
      await closeAll(list);
    }
  });

  it("control: a reply to A's elicitation posted to B reaches A's tool", async () => {
    const list = await instances(2);
    const [a, b] = list;
    try {
      const session = await initialize(a.handler, { capabilities: { elicitation: {} } });
      const { id, reader } = await elicitOn(a.handler, session);
      assert.equal((await b.handler(reply(session, id))).status, 202);
      assert.equal(await resultOf(reader), "accept:Ada");
      assert.equal(replies(b), 1);
    } finally {
      await closeAll(list);
    }
  });

  it("a reply posted after the elicitation was settled is not forwarded again", async () => {
    const list = await instances(2);
    const [a, b] = list;
    try {
      const session = await initialize(a.handler, { capabilities: { elicitation: {} } });
      const { id, reader } = await elicitOn(a.handler, session);
      assert.equal((await b.handler(reply(session, id))).status, 202);
      assert.equal(await resultOf(reader), "accept:Ada");
      assert.equal(replies(b), 1, "the first reply was forwarded");
      assert.equal((await b.handler(reply(session, id, "Eve"))).status, 202, "the late duplicate");
      assert.equal(replies(b), 1, "the duplicate was not");
    } finally {
      await closeAll(list);
    }
  });

  it("a storage failure while recording: the tool's elicit rejects and nothing is sent", async () => {
    const faults = new Faults();
    const list = await instances(1, faults);
    const [a] = list;
    try {
      const session = await initialize(a.handler, { capabilities: { elicitation: {} } });
      faults.set("updateState", "reject");
      const outcome = await rpc(a.handler, session, "tools/call", { name: "ask" });
      assert.equal(outcome.status, 200);
      const text = outcome.message.result.content[0].text as string;
      assert.match(text, /^rejected:.*session storage/i, text);
      const sent = outcome.messages ?? [outcome.message];
      assert.equal(sent.some((m: { method?: string }) => m.method === "elicitation/create"), false);
      assert.deepEqual(faults.failed, ["updateState"]);
      assert.equal((await a.handler.stats()).pendingClientRequests, 0);
    } finally {
      await closeAll(list);
    }
  });

  it("a storage failure while checking a reply: 503 + Retry-After, nothing on the bus", async () => {
    const faults = new Faults();
    const list = await instances(2, faults);
    const [a, b] = list;
    try {
      const session = await initialize(a.handler, { capabilities: { elicitation: {} } });
      const { id, reader } = await elicitOn(a.handler, session);
      faults.set("readState", "reject", 1);
      const refused = await b.handler(reply(session, id));
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "1");
      assert.equal((await refused.json()).error.code, -32603);
      assert.equal(replies(b), 0);
      // The client retries, and the reply gets through.
      assert.equal((await b.handler(reply(session, id))).status, 202);
      assert.equal(await resultOf(reader), "accept:Ada");
    } finally {
      await closeAll(list);
    }
  });
});

it("without a bus an elicitation round trip adds no session-state call", async () => {
  const faults = new Faults();
  const handler = makeHandler({
    tools: [ask],
    sessions: { store: faulty(new MemorySessionStore(), faults) },
  });
  try {
    const session = await initialize(handler, { capabilities: { elicitation: {} } });
    const { id, reader } = await elicitOn(handler, session);
    assert.equal((await handler(reply(session, id))).status, 202);
    assert.equal(await resultOf(reader), "accept:Ada");
    assert.ok(faults.calls.length > 0, "positive control: the store is watched");
    assert.deepEqual(faults.calls.filter((call) => /State$/.test(call)), []);
  } finally {
    await handler.close();
  }
});
