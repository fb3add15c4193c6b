/**
 * The fixture (examples/everything.ts) as three processes on one real Postgres (POSTGRES_URL,
 * one namespace, PORT=0), with the official SDK client rotating its requests across them: a
 * session's state served by all three, a progress stream cut on one and resumed from
 * `Last-Event-ID` on another, an elicitation answered through another, a cancel sent to another
 * stopping the call, a task made on one read and finished on the others, and a 2026-07-28 call
 * cancelled through another instance. The flows of postgres_three_instances_test.ts, as deployed.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { killFixtureProcesses, startFixtureProcess } from "../redis/fixture_process.ts";
import {
  messageOf,
  rawGet,
  rawInitialize,
  rawPost,
  SseReader,
  withTimeout,
} from "../interop/helpers.ts";
import { readAnswer } from "../../helpers.ts";
import { modernNotification, modernRequest } from "../../support/modern_helpers.ts";
import { TASK_CLIENT } from "../../support/task_helpers.ts";
import { rotatingClient, type RotationTarget } from "../../support/rotating_client.ts";
import {
  describePostgres,
  itPostgres,
  postgresSkip,
  startPostgres,
  type TestPostgres,
} from "./postgres_server.ts";

/** How long a fixture process may take to start (it migrates first) on a loaded machine, ms. */
const READY_MS = 90_000;
const bearer = { authorization: "Bearer alice" };
const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0].text;

/** Posts a request built for the in-process handler (modern_helpers) to `url`. */
async function postTo(url: string, request: Request): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.set("authorization", bearer.authorization);
  return await fetch(url, { method: "POST", headers, body: await request.text() });
}

/** Calls the fixture's `slow` tool (`steps` progress events, `intervalMs` apart) on a 2025 session. */
function callSlow(
  url: string,
  session: string,
  id: string,
  steps: number,
  intervalMs: number,
): Promise<Response> {
  return rawPost(url, session, {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "slow", arguments: { steps, intervalMs }, _meta: { progressToken: id } },
  }, { headers: bearer });
}

/**
 * Reads the call's stream to its first progress event, then sends `cancel` (to another instance):
 * the stream must end within 20 s (the run would take 60 s). Returns the answers to `id` on it.
 */
async function cancelledElsewhere(
  call: Response,
  id: string,
  cancel: () => Promise<Response>,
): Promise<Record<string, unknown>[]> {
  const stream = new SseReader(call.body);
  for (;;) {
    const event = await stream.next(15_000);
    assert.ok(event !== undefined, "the call's stream ended before its first progress");
    if (messageOf(event)?.method === "notifications/progress") break;
  }
  const sent = await cancel();
  assert.equal(sent.status, 202);
  await sent.body?.cancel();
  const rest = await withTimeout(stream.rest(20_000), 20_000, "the cancelled call ran on");
  return rest.map(messageOf).filter((message) =>
    message !== undefined && message.id === id
  ) as Record<string, unknown>[];
}

describePostgres("three fixture processes on one Postgres", () => {
  let server: TestPostgres | undefined;
  let instances: RotationTarget[] = [];
  before(async () => {
    if (postgresSkip !== false) return;
    server = await startPostgres(); // not migrated: each fixture runs the migration
    const env = { POSTGRES_URL: server.url, POSTGRES_NAMESPACE: "three" };
    // One after the other: a loaded machine starts three at once slowly.
    for (const name of ["A", "B", "C"]) {
      instances.push({ name, url: (await startFixtureProcess(env, READY_MS)).url });
    }
  });
  after(async () => {
    await killFixtureProcesses();
    await server?.stop();
    instances = [];
  });

  itPostgres("a session's state is served by all three", async () => {
    const rotating = await rotatingClient(instances, "alice");
    try {
      const counts = [];
      for (let i = 0; i < 6; i++) {
        counts.push(textOf(await rotating.client.callTool({ name: "increment" })));
      }
      assert.deepEqual(counts, ["1", "2", "3", "4", "5", "6"], "one state across the instances");
      const calls = rotating.posts.filter((post) => post.body.includes('"increment"'));
      assert.deepEqual(
        [...new Set(calls.map((post) => post.instance))].sort(),
        ["A", "B", "C"],
        "every instance served a call",
      );
    } finally {
      await rotating.close();
    }
  });

  itPostgres(
    "a progress stream cut on A is resumed on B: every event once, then the answer",
    async () => {
      const [a, b] = instances;
      const session = await rawInitialize(a.url, { headers: bearer });
      const call = await callSlow(a.url, session, "steps", 6, 300);
      assert.equal(call.status, 200);
      const first = new SseReader(call.body);
      const progress: number[] = [];
      let lastId: string | undefined;
      while (progress.length < 2) {
        const event = await first.next(15_000);
        assert.ok(event !== undefined, "A's stream ended early");
        lastId = event.id ?? lastId;
        const message = messageOf(event) as { params?: { progress: number } } | undefined;
        if (message?.params !== undefined) progress.push(message.params.progress);
      }
      await first.cancel(); // the connection is cut; the call runs on, on A
      assert.ok(lastId !== undefined, "the events carry ids");
      const resumed = await rawGet(b.url, session, { headers: bearer, lastEventId: lastId });
      assert.equal(resumed.status, 200);
      const rest = new SseReader(resumed.body);
      let answer: Record<string, unknown> | undefined;
      while (answer === undefined) {
        const event = await rest.next(15_000);
        assert.ok(event !== undefined, "B's stream ended before the answer");
        const message = messageOf(event) as
          | { id?: string; params?: { progress: number }; result?: unknown }
          | undefined;
        if (message?.id === "steps") answer = message;
        else if (message?.params !== undefined) progress.push(message.params.progress);
      }
      await rest.cancel();
      assert.deepEqual(progress, [1, 2, 3, 4, 5, 6], "every progress event once, in order");
      assert.equal(textOf(answer.result), "completed 6 steps");
    },
  );

  itPostgres("an elicitation is answered through another instance", async () => {
    const rotating = await rotatingClient(instances, "alice", {
      setup: (client) =>
        client.setRequestHandler(ElicitRequestSchema, () => ({
          action: "accept",
          content: { username: "ada", email: "ada@example.com" },
        })),
    });
    try {
      const result = await rotating.client.callTool(
        {
          name: "test_elicitation",
          arguments: { message: "Who are you?" },
        },
        undefined,
        { timeout: 20_000 },
      );
      assert.equal(
        textOf(result),
        'User response: action=accept, content={"username":"ada","email":"ada@example.com"}',
      );
      const call = rotating.posts.find((post) => post.body.includes('"test_elicitation"'))!;
      const reply = rotating.posts.find((post) => post.body.includes('"ada@example.com"'))!;
      assert.notEqual(reply.instance, call.instance, "the answer went to another instance");
    } finally {
      await rotating.close();
    }
  });

  itPostgres("a cancel sent to B stops the call running on A", async () => {
    const [a, b] = instances;
    const session = await rawInitialize(a.url, { headers: bearer });
    const call = await callSlow(a.url, session, "long", 600, 100);
    const answers = await cancelledElsewhere(call, "long", () =>
      rawPost(b.url, session, {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: "long", reason: "changed my mind" },
      }, { headers: bearer }));
    assert.deepEqual(answers, [], "a cancelled call is not answered");
  });

  itPostgres("a task made on A is read on B and its result fetched on C", async () => {
    const [a, b, c] = instances;
    const options = { capabilities: TASK_CLIENT };
    const made = await readAnswer(
      await postTo(
        a.url,
        modernRequest("tools/call", {
          name: "slow_compute",
          arguments: { seconds: 1, label: "x" },
        }, options),
      ),
    );
    const taskId = made.message.result?.taskId;
    assert.equal(typeof taskId, "string", JSON.stringify(made.message));
    const seen = await readAnswer(
      await postTo(b.url, modernRequest("tasks/get", { taskId }, options)),
    );
    assert.equal(seen.message.result.status, "working");
    const deadline = Date.now() + 20_000;
    let task;
    do {
      task =
        (await readAnswer(await postTo(c.url, modernRequest("tasks/get", { taskId }, options))))
          .message.result;
      if (task.status === "completed" || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } while (true);
    assert.equal(task.status, "completed");
    assert.equal(textOf(task.result), "Computed x after 1s");
  });

  itPostgres("2026-07-28: a call on A cancelled through B stops", async () => {
    const [a, b] = instances;
    const call = await postTo(
      a.url,
      modernRequest("tools/call", {
        name: "slow",
        arguments: { steps: 600, intervalMs: 100 },
      }, { id: "m1", meta: { progressToken: "m" } }),
    );
    assert.equal(call.status, 200);
    const answers = await cancelledElsewhere(
      call,
      "m1",
      () => postTo(b.url, modernNotification("notifications/cancelled", { requestId: "m1" })),
    );
    // A 2026 call is answered: the tool's stop, as its error result.
    assert.deepEqual(answers.map((message) => message.result), [{
      content: [{ type: "text", text: "cancelled" }],
      isError: true,
      resultType: "complete",
      _meta: {
        "io.modelcontextprotocol/serverInfo": { name: "tether-everything", version: "1.0.0" },
      },
    }]);
  });
});
