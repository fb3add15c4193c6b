/**
 * How the stdio binding keeps a call's answer apart from the progress
 * written just before it (src/adapters/stdio/pacing.ts and answers.ts): the
 * SDK clients drop progress read in the same chunk as the answer. The relay
 * waits only between a progress notification and the answer after it; in a
 * 2025 session `serveStdio` writes the answer only once the client replied
 * to a `ping` written after the progress, and that reply never reaches the
 * handler.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { relaySse } from "../../../src/adapters/stdio/answers.ts";
import { ProgressPacer } from "../../../src/adapters/stdio/pacing.ts";
import { serveStdio } from "../../../src/adapters/stdio.ts";
import { createMcpHandler, defineTool } from "../../../mod.ts";
import { initializeMessage, within } from "../../helpers.ts";

function sseBody(messages: unknown[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const message of messages) {
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(message)}\n\n`));
      }
      controller.close();
    },
  });
}

const PROGRESS = {
  jsonrpc: "2.0",
  method: "notifications/progress",
  params: { progressToken: 1, progress: 1 },
};
const LOG = { jsonrpc: "2.0", method: "notifications/message", params: { level: "info" } };
const ANSWER = { jsonrpc: "2.0", id: 1, result: {} };

/** A queue of input chunks the test feeds one by one; ends when `end()` is called. */
function feed() {
  const queue: string[] = [];
  let wake = () => {};
  let ended = false;
  async function* input(): AsyncGenerator<string> {
    while (true) {
      while (queue.length > 0) yield queue.shift()!;
      if (ended) return;
      await new Promise<void>((resolve) => wake = resolve);
    }
  }
  return {
    input: input(),
    send(message: unknown) {
      queue.push(JSON.stringify(message) + "\n");
      wake();
    },
    end() {
      ended = true;
      wake();
    },
  };
}

describe("stdio progress pacing", () => {
  it("the relay waits between a progress notification and the answer after it, only there", async () => {
    const written: string[] = [];
    const paced: string[][] = [];
    const pace = () => {
      paced.push(written.map((line) => JSON.parse(line).method ?? "answer"));
      return Promise.resolve();
    };
    await relaySse(sseBody([PROGRESS, ANSWER]), (line) => void written.push(line), pace);
    assert.deepEqual(paced, [["notifications/progress"]], "paced once, after the progress");
    assert.equal(written.length, 2);

    written.length = 0;
    paced.length = 0;
    await relaySse(sseBody([PROGRESS, LOG, ANSWER]), (line) => void written.push(line), pace);
    await relaySse(sseBody([ANSWER]), (line) => void written.push(line), pace);
    assert.deepEqual(paced, [], "no pause when the answer does not follow progress");
    assert.equal(written.length, 4);
  });

  it("the pacer's ping resolves on the client's reply; replies to its pings are taken, late ones too", async () => {
    const lines: string[] = [];
    const pacer = new ProgressPacer({
      write: (line) => void lines.push(line),
      flush: () => Promise.resolve(),
      paceMs: 10,
    });
    const acknowledged = pacer.acknowledged();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const ping = JSON.parse(lines[0]);
    assert.equal(ping.method, "ping");
    assert.equal(typeof ping.id, "string");
    assert.equal(pacer.receive({ jsonrpc: "2.0", id: ping.id, result: {} }), true);
    await within(acknowledged, 2_000, "the ping's reply ends the wait");
    assert.equal(pacer.receive({ jsonrpc: "2.0", id: ping.id, result: {} }), true, "late reply");
    assert.equal(pacer.receive({ jsonrpc: "2.0", id: 1, result: {} }), false);
    assert.equal(pacer.receive({ jsonrpc: "2.0", id: "other", result: {} }), false);
    await within(pacer.paused(Date.now()), 2_000, "a pause ends");
  });

  it("in a 2025 session the answer after the last progress waits for the client's ping reply", async () => {
    const handler = createMcpHandler({
      name: "paced",
      version: "1.0.0",
      tools: [defineTool({
        name: "steps",
        handler: async (_input, ctx) => {
          await ctx.progress(1, 2);
          await ctx.progress(2, 2);
          return "stepped";
        },
      })],
    });
    const client = feed();
    const written: Record<string, unknown>[] = [];
    let wrote = () => {};
    const served = serveStdio(handler, {
      input: client.input,
      output: {
        write: (text) => {
          written.push(JSON.parse(text));
          wrote();
        },
      },
      handleSignals: false,
      drainMs: 1_000,
    });
    const next = async (match: (message: Record<string, unknown>) => boolean, what: string) => {
      while (!written.some(match)) {
        await within(new Promise<void>((resolve) => wrote = resolve), 5_000, what);
      }
      return written.find(match)!;
    };
    try {
      client.send(initializeMessage("2025-11-25", {}, 1));
      await next((message) => message.id === 1, "initialize answered");
      client.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      client.send({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "steps", arguments: {}, _meta: { progressToken: "p" } },
      });
      const ping = await next((message) => message.method === "ping", "the ping after progress");
      const order = written.map((message) => message.method ?? message.id);
      assert.deepEqual(order.slice(-3), [
        "notifications/progress",
        "notifications/progress",
        "ping",
      ]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(!written.some((message) => message.id === 2), "no answer before the reply");
      client.send({ jsonrpc: "2.0", id: ping.id, result: {} });
      const answer = await next((message) => message.id === 2, "the call's answer");
      assert.deepEqual(answer.result, { content: [{ type: "text", text: "stepped" }] });
    } finally {
      client.end();
      await within(served, 5_000, "serving ends");
    }
    assert.ok(!written.some((message) => "error" in message), "the ping reply reached no handler");
  });
});
