/**
 * The everything fixture on workerd, Cloudflare Workers' runtime, started by
 * scripts/workerd_fixture.sh (so these run wherever `npm ci` installed it,
 * whichever runtime runs the tests):
 *
 * - in the Worker's isolate, with the handler created at module scope
 *   (workerd refuses timers, random values and I/O there): both eras serve
 *   single requests, and a 2026-07-28 listen stream hears nothing another
 *   request changes (the limit that the Durable Object removes);
 * - in one Durable Object (@tether/mcp/cloudflare): the session checks
 *   (owner binding, idle TTL, the cap, DELETE) and what crosses requests
 *   (a GET stream, stream resumption, a listen stream, a cancellation and
 *   an elicitation answered by another POST), through raw HTTP and the
 *   official SDK client.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  connectClient,
  ElicitRequestSchema,
  messageOf,
  rawDelete,
  rawGet,
  rawInitialize,
  rawPost,
  responseOf,
  sleep,
  SseReader,
  textOf,
} from "../interop/helpers.ts";
import { initializeMessage, until } from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";
import { startWorkerdFixture, type WorkerdFixture, workerdSkip } from "./workerd_fixture.ts";

const PING = { jsonrpc: "2.0", id: 1, method: "ping" };

/** A 2026-07-28 request (tests/support/modern_helpers.ts builds it) sent to `url`. */
async function modernPost(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  signal?: AbortSignal,
  capabilities?: Record<string, unknown>,
): Promise<Response> {
  const request = modernRequest(method, params, { capabilities });
  return await fetch(url, {
    method: "POST",
    headers: request.headers,
    body: await request.text(),
    signal,
  });
}

/** A session's POST of `message`, its body drained; the status. */
async function statusOf(
  url: string,
  sessionId: string,
  message: unknown,
  headers: Record<string, string> = {},
): Promise<number> {
  const response = await rawPost(url, sessionId, message, { headers });
  await response.body?.cancel();
  return response.status;
}

/** Opens a 2026-07-28 listen stream for tools/list_changed and reads its acknowledgement. */
async function openListen(url: string, signal: AbortSignal): Promise<SseReader> {
  const response = await modernPost(url, "subscriptions/listen", {
    notifications: { toolsListChanged: true },
  }, signal);
  assert.equal(response.status, 200);
  const stream = new SseReader(response.body);
  assert.equal(
    messageOf((await stream.next())!)?.method,
    "notifications/subscriptions/acknowledged",
  );
  return stream;
}

/** Changes the tool list (test_trigger_tool_change) from a request of its own. */
async function changeTools(url: string): Promise<void> {
  const response = await modernPost(url, "tools/call", {
    name: "test_trigger_tool_change",
    arguments: {},
  });
  assert.equal(response.status, 200);
  assert.match(await response.text(), /test_dynamic_tool/);
}

const RECONNECTION_ID = 4;

/**
 * Calls test_reconnection, which closes its stream after the priming event
 * and answers 100 ms later; reads that stream to its end (no answer on it)
 * and returns the last event id to resume from.
 */
async function callThatClosesItsStream(
  url: string,
  sessionId: string,
): Promise<{ lastEventId: string }> {
  const call = await rawPost(url, sessionId, {
    jsonrpc: "2.0",
    id: RECONNECTION_ID,
    method: "tools/call",
    params: { name: "test_reconnection", arguments: {} },
  });
  assert.match(call.headers.get("content-type") ?? "", /text\/event-stream/);
  const events = await new SseReader(call.body).rest();
  const lastEventId = events.findLast((event) => event.id !== undefined)?.id;
  assert.ok(lastEventId !== undefined, "the stream carried a resumable event id");
  assert.equal(events.map(messageOf).find((message) => message?.id === RECONNECTION_ID), undefined);
  return { lastEventId };
}

/** The next message on `stream` with `method`, skipping others. */
async function nextWithMethod(stream: SseReader, method: string): Promise<Record<string, unknown>> {
  while (true) {
    const event = await stream.next();
    if (event === undefined) throw new Error(`the stream ended before ${method}`);
    const message = messageOf(event);
    if (message?.method === method) return message;
  }
}

describe("workerd: the handler created at a Worker's module scope, served in the isolate", {
  skip: workerdSkip,
}, () => {
  let fixture: WorkerdFixture;
  before(async () => {
    fixture = await startWorkerdFixture("isolate");
  });
  after(() => fixture?.stop());

  it("serves both eras: the module-scope construction was allowed, and work waited for the request", async () => {
    const sessionId = await rawInitialize(fixture.url);
    const legacy = await responseOf(
      await rawPost(fixture.url, sessionId, {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "test_simple_text", arguments: {} },
      }),
      2,
    );
    assert.equal((legacy?.result as { content: { type: string }[] }).content[0].type, "text");
    const response = await modernPost(fixture.url, "tools/call", {
      name: "test_simple_text",
      arguments: {},
    });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /"type":"text"/);
    assert.doesNotMatch(fixture.output(), /Disallowed operation/);
  });

  it("the limit: a call's work ends with its response, so a stream closed mid-call cannot be resumed", async () => {
    const sessionId = await rawInitialize(fixture.url);
    const { lastEventId } = await callThatClosesItsStream(fixture.url, sessionId);
    // The tool was still at work when its response ended; in the isolate that work ends with it.
    const resumed = await rawGet(fixture.url, sessionId, { lastEventId });
    const answer = await new SseReader(resumed.body).rest().then(
      (events) => events.map(messageOf).find((message) => message?.id === RECONNECTION_ID),
      () => undefined, // the runtime cuts the resumed stream ("terminated")
    );
    assert.equal(answer, undefined);
  });

  it("a 1 s task runs on past the call that created it (waitUntil) and completes", async () => {
    const tasks = { extensions: { "io.modelcontextprotocol/tasks": {} } };
    const created = await modernPost(
      fixture.url,
      "tools/call",
      {
        name: "slow_compute",
        arguments: { seconds: 1, label: "in the isolate" },
      },
      undefined,
      tasks,
    );
    assert.equal(created.status, 200);
    const task = (await created.json()).result;
    assert.equal(task.resultType, "task");
    assert.equal(task.status, "working");
    // deno-lint-ignore no-explicit-any
    let last: any;
    await until(
      async () => {
        await sleep(100); // the client's pause between polls
        const polled = await modernPost(
          fixture.url,
          "tasks/get",
          { taskId: task.taskId },
          undefined,
          tasks,
        );
        last = (await polled.json()).result;
        return last.status !== "working";
      },
      "the task to leave working",
      15_000,
    ).catch((error) => assert.fail(`${error.message}: ${fixture.output()}`));
    assert.equal(last.status, "completed");
    assert.deepEqual(last.result.content, [
      { type: "text", text: "Computed in the isolate after 1s" },
    ]);
  });

  it("raw JSON Schema is validated in the isolate (@cfworker/json-schema): $ref, if/then/else, additionalProperties", async () => {
    const call = async (args: Record<string, unknown>) => {
      const response = await modernPost(fixture.url, "tools/call", {
        name: "json_schema_2020_12_tool",
        arguments: args,
      });
      assert.equal(response.status, 200);
      return await response.text();
    };
    const good = { name: "Ada", contactMethod: "email", email: "ada@example.com" };
    assert.doesNotMatch(await call(good), /"isError":true/);
    // contactMethod "phone" requires phone (if/then); an unknown property is refused; address is a $ref.
    for (
      const bad of [
        { name: "Ada", contactMethod: "phone", email: "ada@example.com" },
        { ...good, nickname: "A" },
        { ...good, address: { city: 7 } },
      ]
    ) {
      const text = await call(bad);
      assert.match(text, /"isError":true/, JSON.stringify(bad));
      assert.match(text, /Invalid arguments for tool json_schema_2020_12_tool/);
    }
    assert.doesNotMatch(fixture.output(), /Disallowed operation/);
  });
});

describe("workerd: the fixture in one Durable Object", { skip: workerdSkip }, () => {
  let fixture: WorkerdFixture;
  before(async () => {
    fixture = await startWorkerdFixture("durable-object");
  });
  after(() => fixture?.stop());

  it("a listen stream hears list_changed caused by another request", async () => {
    const stop = new AbortController();
    try {
      const stream = await openListen(fixture.url, stop.signal);
      await changeTools(fixture.url);
      const notification = await nextWithMethod(stream, "notifications/tools/list_changed");
      assert.equal(notification.jsonrpc, "2.0");
    } finally {
      stop.abort();
    }
  });

  it("a 2025 session's GET stream carries what another POST causes", async () => {
    const sessionId = await rawInitialize(fixture.url);
    const stop = new AbortController();
    try {
      const get = await rawGet(fixture.url, sessionId, { signal: stop.signal });
      assert.equal(get.status, 200);
      const stream = new SseReader(get.body);
      const answer = await responseOf(
        await rawPost(fixture.url, sessionId, {
          jsonrpc: "2.0",
          id: 3,
          method: "tools/call",
          params: { name: "test_trigger_tool_change", arguments: {} },
        }),
        3,
      );
      assert.ok(answer?.result !== undefined);
      await nextWithMethod(stream, "notifications/tools/list_changed");
    } finally {
      stop.abort();
      await rawDelete(fixture.url, sessionId);
    }
  });

  it("a stream closed mid-call resumes with Last-Event-ID and delivers the answer", async () => {
    const sessionId = await rawInitialize(fixture.url);
    try {
      const { lastEventId } = await callThatClosesItsStream(fixture.url, sessionId);
      const resumed = await rawGet(fixture.url, sessionId, { lastEventId });
      assert.equal(resumed.status, 200);
      const events = await new SseReader(resumed.body).rest();
      const answer = events.map(messageOf).find((message) => message?.id === RECONNECTION_ID);
      assert.match(JSON.stringify(answer?.result), /Reconnection test completed successfully/);
    } finally {
      await rawDelete(fixture.url, sessionId);
    }
  });

  it("notifications/cancelled in another POST stops a running call: its stream ends with no result", async () => {
    const sessionId = await rawInitialize(fixture.url);
    try {
      // 1,000 steps of 20 ms: far longer than any wait below, unless the cancellation stops it.
      const call = await rawPost(fixture.url, sessionId, {
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: {
          name: "slow",
          arguments: { steps: 1_000, intervalMs: 20 },
          _meta: { progressToken: "p" },
        },
      });
      const stream = new SseReader(call.body);
      await nextWithMethod(stream, "notifications/progress");
      assert.equal(
        await statusOf(fixture.url, sessionId, {
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId: 5, reason: "test" },
        }),
        202,
      );
      const rest = await stream.rest();
      assert.equal(rest.map(messageOf).find((message) => message?.id === 5), undefined);
    } finally {
      await rawDelete(fixture.url, sessionId);
    }
  });

  it("the SDK client: tools, progress, and an elicitation answered by another POST", async () => {
    const connection = await connectClient(fixture.url, {
      capabilities: { elicitation: {} },
      setup: (client) =>
        client.setRequestHandler(ElicitRequestSchema, () => ({
          action: "accept",
          content: { username: "ada", email: "ada@example.com" },
        })),
    });
    try {
      const { tools } = await connection.client.listTools();
      assert.ok(tools.some((tool) => tool.name === "test_elicitation"));
      const progress: number[] = [];
      const slow = await connection.client.callTool(
        { name: "slow", arguments: { steps: 3, intervalMs: 1 } },
        undefined,
        { onprogress: (update) => void progress.push(update.progress) },
      );
      assert.equal(textOf(slow), "completed 3 steps");
      assert.deepEqual(progress, [1, 2, 3]);
      const elicited = await connection.client.callTool({
        name: "test_elicitation",
        arguments: { message: "Who are you?" },
      });
      assert.match(textOf(elicited), /ada/);
      await connection.transport.terminateSession();
    } finally {
      await connection.close();
    }
  });
});

describe("workerd: the session checks, in one Durable Object", { skip: workerdSkip }, () => {
  let fixture: WorkerdFixture;
  before(async () => {
    fixture = await startWorkerdFixture("durable-object", {
      SESSION_MAX: "2",
      SESSION_IDLE_MS: "1500",
      MAX_ANONYMOUS_SESSIONS: "2",
      MAX_SESSIONS_PER_PRINCIPAL: "1",
    });
  });
  after(() => fixture?.stop());

  it("owner binding: another principal gets 403 on POST, GET and DELETE; the owner keeps the session", async () => {
    const alice = { authorization: "Bearer alice" };
    const bob = { authorization: "Bearer bob" };
    const sessionId = await rawInitialize(fixture.url, { headers: alice });
    try {
      assert.equal(await statusOf(fixture.url, sessionId, PING, bob), 403);
      assert.equal(await statusOf(fixture.url, sessionId, PING), 403); // anonymous is not alice
      const get = await rawGet(fixture.url, sessionId, { headers: bob });
      await get.body?.cancel();
      assert.equal(get.status, 403);
      assert.equal(await rawDelete(fixture.url, sessionId, bob), 403);
      assert.equal(await statusOf(fixture.url, sessionId, PING, alice), 200);
    } finally {
      await rawDelete(fixture.url, sessionId, alice);
    }
  });

  it("the session share: a principal at its share gets 429 -32004 + Retry-After, another is served", async () => {
    const alice = { authorization: "Bearer alice" };
    const first = await rawInitialize(fixture.url, { headers: alice });
    try {
      const refused = await rawPost(fixture.url, undefined, initializeMessage(), {
        headers: alice,
      });
      const body = await refused.json();
      assert.equal(refused.status, 429);
      assert.equal(body.error.code, -32004);
      assert.ok(refused.headers.get("retry-after") !== null);
      const bob = { authorization: "Bearer bob" };
      const other = await rawInitialize(fixture.url, { headers: bob });
      await rawDelete(fixture.url, other, bob);
    } finally {
      await rawDelete(fixture.url, first, alice);
    }
  });

  it("DELETE ends a session: the next request on it answers 404", async () => {
    const sessionId = await rawInitialize(fixture.url);
    assert.equal(await statusOf(fixture.url, sessionId, PING), 200);
    assert.equal(await rawDelete(fixture.url, sessionId), 204);
    assert.equal(await statusOf(fixture.url, sessionId, PING), 404);
  });

  it("the cap: a third session is refused with 503 and Retry-After; ending one makes room", async () => {
    const first = await rawInitialize(fixture.url);
    const second = await rawInitialize(fixture.url);
    try {
      const refused = await rawPost(fixture.url, undefined, initializeMessage());
      await refused.body?.cancel();
      assert.equal(refused.status, 503);
      assert.ok(refused.headers.get("retry-after") !== null);
      assert.equal(await statusOf(fixture.url, first, PING), 200);
      assert.equal(await rawDelete(fixture.url, first), 204);
      const third = await rawInitialize(fixture.url);
      await rawDelete(fixture.url, third);
    } finally {
      await rawDelete(fixture.url, first);
      await rawDelete(fixture.url, second);
    }
  });

  it("an idle session expires after SESSION_IDLE_MS: 404", async () => {
    const sessionId = await rawInitialize(fixture.url);
    assert.equal(await statusOf(fixture.url, sessionId, PING), 200);
    // Left alone (a request would extend it) for twice its idle TTL: only then is it asked for.
    await sleep(3_000);
    assert.equal(await statusOf(fixture.url, sessionId, PING), 404);
  });
});
