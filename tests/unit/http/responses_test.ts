/** The http/ answer builders the eras share: each status, header and body byte they put on the wire. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { accepted, noContent } from "../../../src/http/responses.ts";
import { jsonResponse } from "../../../src/http/error_response.ts";
import { SSE_HEADERS, sseResponse } from "../../../src/http/sse/sse.ts";

/** Every header of a response, as a plain object. */
function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers);
}

describe("http answers", () => {
  it("accepted is a 202 with no body and no content type", async () => {
    const response = accepted();
    assert.equal(response.status, 202);
    assert.equal(response.body, null);
    assert.equal(response.headers.get("content-type"), null);
    assert.equal(await response.text(), "");
  });

  it("noContent is a 204 with no body", async () => {
    const response = noContent();
    assert.equal(response.status, 204);
    assert.equal(response.body, null);
    assert.equal(await response.text(), "");
  });

  it("jsonResponse keeps the body bytes and takes another status when given one", async () => {
    const body = '{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"x"}}';
    const response = jsonResponse(body, undefined, 400);
    assert.equal(response.status, 400);
    assert.deepEqual(headersOf(response), { "content-type": "application/json" });
    assert.equal(await response.text(), body);
  });

  it("sseResponse is a 200 with exactly the SSE headers, from a string or a stream", async () => {
    const text = 'id: s:1\ndata: {"a":1}\n\n';
    const fromString = sseResponse(text);
    assert.equal(fromString.status, 200);
    assert.deepEqual(headersOf(fromString), { ...SSE_HEADERS });
    assert.equal(await fromString.text(), text);

    const fromStream = sseResponse(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(text));
          controller.close();
        },
      }),
    );
    assert.equal(fromStream.status, 200);
    assert.deepEqual(headersOf(fromStream), { ...SSE_HEADERS });
    assert.equal(await fromStream.text(), text);
  });
});
