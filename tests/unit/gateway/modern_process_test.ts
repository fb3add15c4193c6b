/**
 * The routing of one 2026-07-28 stdio process's messages to its requests
 * (src/gateway/stdio/modern_process.ts), over a scripted line: ids and
 * progress tokens renumbered per process and restored, a listen stream's
 * messages by subscriptionId, log messages only to a lone asker, anything
 * else dropped and counted, never delivered to another request; a caller's
 * abort writes `notifications/cancelled`; a gone process ends every body.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ModernProcess } from "../../../src/gateway/stdio/modern_process.ts";

type Message = Record<string, unknown>;

/** A process over a line whose writes are kept and whose reads the test makes. */
function scripted(maxMessageBytes = 1_000_000) {
  const written: Message[] = [];
  const line: {
    send(message: Message): Promise<void>;
    onmessage?: (message: Message) => void;
    onclose?: () => void;
  } = {
    send: (message) => {
      written.push(message);
      return Promise.resolve();
    },
  };
  let dropped = 0;
  const process = new ModernProcess(line, { maxMessageBytes, onDropped: () => void dropped++ });
  return {
    process,
    written,
    read: (message: Message) => line.onmessage!({ jsonrpc: "2.0", ...message }),
    close: () => line.onclose!(),
    get dropped() {
      return dropped;
    },
  };
}

/** A request body as modern_wire.ts writes it. */
function request(id: string, method: string, meta: Message = {}, params: Message = {}) {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: meta } });
}

/** Every `data:` message of `response`'s body, to its end. */
async function messages(response: Response): Promise<Message[]> {
  const text = await response.text();
  return text.split("\n\n").filter((event) => event.startsWith("data: "))
    .map((event) => JSON.parse(event.slice(6)));
}

describe("ModernProcess", () => {
  it("renumbers ids and progress tokens per process; answers and progress never cross", async () => {
    const line = scripted();
    const signal = new AbortController().signal;
    const a = await line.process.post(
      request("x-1", "tools/call", { progressToken: "x-1" }),
      signal,
    );
    const b = await line.process.post(
      request("x-1", "tools/call", { progressToken: "x-1" }),
      signal,
    );
    const [first, second] = line.written as { id: number; params: { _meta: Message } }[];
    assert.notEqual(first.id, second.id, "two callers' equal ids never collide upstream");
    assert.equal(first.params._meta.progressToken, first.id);
    line.read({
      method: "notifications/progress",
      params: { progressToken: second.id, progress: 2 },
    });
    line.read({
      method: "notifications/progress",
      params: { progressToken: first.id, progress: 1 },
    });
    line.read({ id: second.id, result: { which: "b" } });
    line.read({ id: first.id, result: { which: "a" } });
    assert.deepEqual(await messages(a), [
      {
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: { progressToken: "x-1", progress: 1 },
      },
      { jsonrpc: "2.0", id: "x-1", result: { which: "a" } },
    ]);
    assert.deepEqual(await messages(b), [
      {
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: { progressToken: "x-1", progress: 2 },
      },
      { jsonrpc: "2.0", id: "x-1", result: { which: "b" } },
    ]);
    assert.equal(line.process.inFlight, 0);
    line.read({ id: first.id, result: {} });
    line.read({
      method: "notifications/progress",
      params: { progressToken: first.id, progress: 3 },
    });
    assert.equal(line.dropped, 2, "an answer or progress of no request in flight is dropped");
  });

  it("routes a listen stream's messages by subscriptionId, restored to the caller's id", async () => {
    const line = scripted();
    const listen = await line.process.post(
      request("l-7", "subscriptions/listen"),
      new AbortController().signal,
    );
    const { id } = line.written[0] as { id: number };
    const key = "io.modelcontextprotocol/subscriptionId";
    line.read({ method: "notifications/tools/list_changed", params: { _meta: { [key]: id } } });
    line.read({ method: "notifications/tools/list_changed", params: { _meta: { [key]: 999 } } });
    line.read({ method: "notifications/tools/list_changed" });
    line.read({ id, result: {} });
    assert.deepEqual(await messages(listen), [
      {
        jsonrpc: "2.0",
        method: "notifications/tools/list_changed",
        params: { _meta: { [key]: "l-7" } },
      },
      { jsonrpc: "2.0", id: "l-7", result: {} },
    ]);
    assert.equal(line.dropped, 2, "another stream's or nobody's message is dropped");
  });

  it("a log message goes to the one request that asked for logs, else it is dropped", async () => {
    const line = scripted();
    const signal = new AbortController().signal;
    const logLevel = { "io.modelcontextprotocol/logLevel": "debug" };
    const log = { method: "notifications/message", params: { level: "info", data: "hi" } };
    const quiet = await line.process.post(request("q", "tools/list"), signal);
    const asker = await line.process.post(request("a", "tools/call", logLevel), signal);
    line.read(log);
    const other = await line.process.post(request("b", "tools/call", logLevel), signal);
    line.read(log);
    const ids = (line.written as { id: number }[]).map((message) => message.id);
    for (const id of ids) line.read({ id, result: {} });
    assert.equal((await messages(asker)).length, 2, "the lone asker's log, then its answer");
    assert.equal((await messages(quiet)).length, 1);
    assert.equal((await messages(other)).length, 1);
    assert.equal(line.dropped, 1, "with two askers in flight, nobody's");
  });

  it("refuses a request from the process, counted", () => {
    const line = scripted();
    line.read({ id: 5, method: "roots/list" });
    assert.equal(line.dropped, 1);
    assert.deepEqual(line.written[0], {
      jsonrpc: "2.0",
      id: 5,
      error: { code: -32601, message: "The gateway takes no requests from a 2026-07-28 upstream" },
    });
  });

  it("an aborted caller cancels its request upstream and its body ends", async () => {
    const line = scripted();
    const controller = new AbortController();
    const response = await line.process.post(request("s", "tools/call"), controller.signal);
    const { id } = line.written[0] as { id: number };
    controller.abort();
    assert.deepEqual(await messages(response), []);
    assert.deepEqual(line.written[1], {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: id, reason: "The caller cancelled the request" },
    });
    line.read({ id, result: {} });
    assert.equal(line.dropped, 1, "the late answer is nobody's");
  });

  it("a gone process ends every body without its answer and takes no more requests", async () => {
    const line = scripted();
    const signal = new AbortController().signal;
    const answers: unknown[] = [];
    const response = await line.process.post(
      request("d", "server/discover"),
      signal,
      (answer) => void answers.push(answer),
    );
    line.close();
    assert.deepEqual(await messages(response), []);
    assert.deepEqual(answers, [undefined]);
    assert.equal(line.process.closed, true);
    await assert.rejects(line.process.post(request("e", "tools/list"), signal), /has ended/);
  });

  it("a request over maxMessageBytes is not written", async () => {
    const line = scripted(100);
    await assert.rejects(
      line.process.post(
        request("big", "tools/call", {}, { text: "x".repeat(200) }),
        AbortSignal.timeout(1_000),
      ),
      /maxMessageBytes/,
    );
    assert.deepEqual(line.written, []);
  });
});
