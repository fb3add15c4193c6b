/**
 * The per-runtime examples, started as their README headers say (one command,
 * the runtime's own binary from node_modules) on a free port, and driven by
 * the official SDK client: the tool asks for confirmation (elicitation),
 * reports progress and answers; the Hono example authenticates in its own
 * middleware and binds sessions to that user. The examples are independent
 * processes, so the tests run at once; each example starts once, when a test
 * first asks for it (the Node one serves both of its tests, each through its
 * own client and session), and every child is stopped after the tests.
 */

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BINARIES, type Example, startExample, stopExamples } from "./example_process.ts";
import {
  connectClient,
  ElicitRequestSchema,
  rawPost,
  WAIT_MS,
  withTimeout,
} from "../interop/helpers.ts";

after(stopExamples);

const ENDPOINT = /http:\/\/127\.0\.0\.1:\d+\/mcp\b/;

const started = new Map<string, Promise<Example>>();

/** The example `args` run by `binary`, started the first time a test asks for it. */
function example(binary: string, args: string[], pattern = ENDPOINT): Promise<Example> {
  const key = [binary, ...args].join(" ");
  let running = started.get(key);
  if (running === undefined) {
    running = startExample(binary, args, pattern);
    started.set(key, running);
  }
  return running;
}

const NODE_EXAMPLE = ["examples/node/server.ts"];

/** Calls `countdown` from 3 with the given elicitation answer; returns its text, the questions and the progress. */
async function countdown(
  url: string,
  answer: { action: "accept" | "decline"; content?: { confirm: boolean } },
) {
  const questions: string[] = [];
  const connection = await withTimeout(
    connectClient(url, {
      capabilities: { elicitation: {} },
      setup: (client) =>
        client.setRequestHandler(ElicitRequestSchema, (request) => {
          questions.push(request.params.message);
          return answer;
        }),
    }),
    WAIT_MS,
    `connecting to ${url}`,
  );
  try {
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const result = await connection.client.callTool(
      { name: "countdown", arguments: { from: 3 } },
      undefined,
      { timeout: WAIT_MS, onprogress: (update) => void progress.push(update) },
    );
    assert.equal(result.isError, undefined, JSON.stringify(result));
    const [content] = result.content as { type: string; text: string }[];
    assert.equal(content.type, "text");
    return { text: content.text, questions, progress };
  } finally {
    await connection.close();
  }
}

/** The countdown example's behaviour, the same on every runtime (two sessions at once). */
async function checkCountdown(url: string): Promise<void> {
  const [confirmed, declined] = await Promise.all([
    countdown(url, { action: "accept", content: { confirm: true } }),
    countdown(url, { action: "decline" }),
  ]);
  assert.deepEqual(confirmed.questions, ["Start a countdown from 3?"]);
  assert.deepEqual(confirmed.progress, [
    { progress: 1, total: 3, message: "2…" },
    { progress: 2, total: 3, message: "1…" },
    { progress: 3, total: 3, message: "0…" },
  ]);
  assert.equal(confirmed.text, "Liftoff after counting down from 3.");

  assert.deepEqual(declined.questions, ["Start a countdown from 3?"]);
  assert.deepEqual(declined.progress, []);
  assert.equal(declined.text, "Countdown called off.");
}

describe("examples", { concurrency: true }, () => {
  it("deno/server.ts on Deno: the countdown asks, reports progress and answers", async () => {
    const deno = await example(BINARIES.deno, [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env=PORT",
      "examples/deno/server.ts",
    ]);
    await checkCountdown(deno.url);
  });

  it("bun/server.ts on Bun: the countdown asks, reports progress and answers", async () => {
    const bun = await example(BINARIES.bun, ["examples/bun/server.ts"]);
    await checkCountdown(bun.url);
  });

  it("node/server.ts on Node 24 (native type stripping): the countdown asks, reports progress and answers", async () => {
    const node = await example(BINARIES.node24, NODE_EXAMPLE);
    await checkCountdown(node.url);
  });

  it("node/server.ts: a client without elicitation gets the countdown unconfirmed", async () => {
    const node = await example(BINARIES.node24, NODE_EXAMPLE);
    const connection = await withTimeout(connectClient(node.url), WAIT_MS, "connecting");
    try {
      const result = await connection.client.callTool(
        { name: "countdown", arguments: { from: 1 } },
        undefined,
        { timeout: WAIT_MS },
      );
      assert.deepEqual(result.content, [
        {
          type: "text",
          text:
            "Liftoff after counting down from 1 (not confirmed: this client cannot ask its user).",
        },
      ]);
    } finally {
      await connection.close();
    }
  });

  it("hono/server.ts on Node 24: the middleware's user is the principal, and owns the session", async () => {
    const { url } = await example(
      BINARIES.node24,
      ["examples/hono/server.ts"],
      /http:\/\/127\.0\.0\.1:\d+\/api\/mcp\b/,
    );

    const alice = await withTimeout(
      connectClient(url, { token: "alice-token" }),
      WAIT_MS,
      "connecting as alice",
    );
    try {
      const result = await alice.client.callTool({ name: "whoami", arguments: {} }, undefined, {
        timeout: WAIT_MS,
      });
      assert.deepEqual(result.content, [{ type: "text", text: "You are Alice (alice)." }]);

      // Bob is authenticated, but the session is Alice's.
      const asBob = await rawPost(url, alice.sessionId, {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/list",
      }, {
        headers: { authorization: "Bearer bob-token" },
      });
      await asBob.body?.cancel();
      assert.equal(asBob.status, 403);
    } finally {
      await alice.close();
    }

    // No token, or an unknown one: the Hono middleware answers before tether sees the request.
    const refusals: Record<string, string>[] = [{}, { authorization: "Bearer mallory-token" }];
    for (const headers of refusals) {
      const refused = await rawPost(
        url,
        undefined,
        { jsonrpc: "2.0", id: 1, method: "tools/list" },
        { headers },
      );
      assert.equal(refused.status, 401);
      assert.deepEqual(await refused.json(), { error: "unauthorized" });
    }
  });
});
