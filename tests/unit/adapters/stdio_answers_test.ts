/**
 * How the stdio binding turns the handler's HTTP answers into lines
 * (src/adapters/stdio/answers.ts): one line per message whatever the body
 * (pretty JSON, SSE events split across chunks, multi-line `data:`), and a
 * JSON-RPC error, never raw text, for a request answered without JSON-RPC.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { relayAnswer } from "../../../src/adapters/stdio/answers.ts";

async function lines(response: Response, id?: number): Promise<string[]> {
  const written: string[] = [];
  await relayAnswer(response, id, (line) => void written.push(line));
  for (const line of written) assert.ok(!line.includes("\n"), "one message, one line");
  return written;
}

function sse(chunks: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

describe("stdio answers", () => {
  it("writes a pretty-printed JSON answer as one line", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { a: [1, 2] } }, null, 2);
    const written = await lines(
      new Response(body, { headers: { "content-type": "application/json" } }),
      1,
    );
    assert.deepEqual(written.map((line) => JSON.parse(line)), [JSON.parse(body)]);
  });

  it("writes each SSE event's data as one line, however the chunks fall", async () => {
    const written = await lines(sse([
      'id: 1\ndata: {"jsonrpc":"2.0","method":"notifications/progress",',
      '"params":{"progress":1}}\r\n\r\n: keep-alive\n\nevent: message\ndata: {"jsonrpc":"2.0",\ndata: "id":3,"result":{}}\n\n',
    ]));
    assert.deepEqual(written.map((line) => JSON.parse(line)), [
      { jsonrpc: "2.0", method: "notifications/progress", params: { progress: 1 } },
      { jsonrpc: "2.0", id: 3, result: {} },
    ]);
  });

  it("answers a request refused in plain text with a JSON-RPC error; a notification with nothing", async () => {
    const refused = await lines(new Response("busy", { status: 503 }), 4);
    assert.equal(refused.length, 1);
    const message = JSON.parse(refused[0]);
    assert.equal(message.id, 4);
    assert.equal(message.error.code, -32603);
    assert.deepEqual(await lines(new Response("busy", { status: 503 })), []);
    assert.deepEqual(await lines(new Response(null, { status: 202 })), []);
  });
});
