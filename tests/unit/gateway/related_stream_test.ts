/**
 * The mark of the upstream request a message came with: a POSTed request's
 * SSE response has its requests and notifications marked with that
 * request's id, across chunk boundaries and line endings; answers and other
 * text pass as they came; a mark the upstream forged is removed (on a
 * request's stream, replaced); `takeRelated` reads and removes it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  RELATED_KEY,
  relatedFetch,
  takeRelated,
} from "../../../src/gateway/sessions/related_stream.ts";

/** A fetch answering `body` as SSE, cut into `cuts` chunks. */
function sseFetch(body: string, cuts: number[]): typeof fetch {
  return () => {
    const bytes = new TextEncoder().encode(body);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let from = 0;
        for (const cut of [...cuts, bytes.length]) {
          controller.enqueue(bytes.slice(from, cut));
          from = cut;
        }
        controller.close();
      },
    });
    return Promise.resolve(
      new Response(stream, { headers: { "content-type": "text/event-stream" } }),
    );
  };
}

/** The JSON messages of an SSE text. */
function messagesOf(text: string): Record<string, unknown>[] {
  return text.split(/\n\n/).filter((event) => event.includes("data:")).map((event) =>
    JSON.parse(
      event.split("\n").filter((line) => line.startsWith("data:")).map((line) =>
        line.slice(5).trim()
      ).join("\n"),
    )
  );
}

const log = { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: 1 } };
const elicit = {
  jsonrpc: "2.0",
  id: 9,
  method: "elicitation/create",
  params: { message: "hi", _meta: { [RELATED_KEY]: 99, other: true } },
};
const answer = { jsonrpc: "2.0", id: 7, result: { method: "not a request" } };
const body = `id: 1\nevent: message\ndata: ${JSON.stringify(log)}\n\n` +
  `data: ${JSON.stringify(elicit)}\r\n\r\n: a comment\n\ndata: ${JSON.stringify(answer)}\n\n`;

async function read(fetcher: typeof fetch, init: RequestInit): Promise<string> {
  const response = await relatedFetch(fetcher)("http://127.0.0.1/mcp", init);
  return await response.text();
}

describe("relatedFetch", () => {
  it("marks a POSTed request's stream with its id, whatever the chunks", async () => {
    const init = { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "x" }) };
    for (const cuts of [[], [1, 5, 40, 41, 120], Array.from({ length: 60 }, (_, i) => i * 4 + 1)]) {
      const text = await read(sseFetch(body, cuts), init);
      const [first, second, third] = messagesOf(text);
      assert.deepEqual((first.params as { _meta: unknown })._meta, { [RELATED_KEY]: 7 });
      assert.deepEqual((second.params as { _meta: unknown })._meta, {
        [RELATED_KEY]: 7,
        other: true,
      }, "the forged mark replaced, the rest kept");
      assert.deepEqual(third, answer, "an answer as it came");
      assert.match(text, /^id: 1\nevent: message\n/, "the event's other fields kept");
      assert.match(text, /: a comment/);
    }
  });

  it("removes a forged mark from a stream of no request (GET)", async () => {
    const text = await read(sseFetch(body, [33]), { method: "GET" });
    const [first, second] = messagesOf(text);
    assert.deepEqual((first.params as { _meta: unknown })._meta, {});
    assert.deepEqual((second.params as { _meta: unknown })._meta, { other: true });
  });

  it("leaves a JSON body alone", async () => {
    const fetcher: typeof fetch = () => Promise.resolve(Response.json(elicit));
    const text = await read(fetcher, { method: "POST", body: "{}" });
    assert.deepEqual(JSON.parse(text), elicit);
  });
});

describe("takeRelated", () => {
  it("reads the mark and removes it; anything else is no mark", () => {
    const params = { _meta: { [RELATED_KEY]: "r-1", progressToken: 3 } };
    assert.equal(takeRelated(params), "r-1");
    assert.deepEqual(params._meta, { progressToken: 3 });
    assert.equal(takeRelated(params), undefined);
    assert.equal(takeRelated(undefined), undefined);
    assert.equal(takeRelated({ _meta: { [RELATED_KEY]: { id: 1 } } }), undefined);
  });
});
