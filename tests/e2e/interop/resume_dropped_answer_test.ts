/**
 * A call whose answer the event log no longer keeps when the client comes
 * back for it, through the official clients over real HTTP. The tool closes
 * its SSE stream (`ctx.closeStream()`, so the client resumes with
 * `Last-Event-ID`) and answers with more than the session's event budget:
 * the answer is logged and dropped at once. The client must get an error for
 * its call, not wait for its timeout, and then stay quiet: one resume, no
 * reconnect loop (the SDK v1 client takes only a result as the end of a
 * request). Before the fix the resume was parked without an answer and the
 * call timed out.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from "@modelcontextprotocol/client";
import { createMcpHandler, defineTool } from "../../../mod.ts";
import { MemoryEventLog } from "../../../src/storage/mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { Client, sleep, StreamableHTTPClientTransport, waitFor } from "./helpers.ts";

/** The session's event budget; the answer is twice that. */
const BUDGET = 8 * 1024;
/** The `retry:` the server sends: the clients resume after it. */
const RETRY_MS = 50;
/** The call's own timeout: well past the resume, well under a test timeout. */
const CALL_TIMEOUT_MS = 5_000;

/** A served handler whose resumes are counted, and its one tool. */
async function serveDropping() {
  let calls = 0;
  const report = defineTool({
    name: "report",
    handler: (_input, ctx) => {
      calls++;
      ctx.closeStream(); // the client must come back for the answer
      return "r".repeat(2 * BUDGET);
    },
  });
  const handler = createMcpHandler({
    name: "dropped-answer",
    version: "1.0.0",
    tools: [report],
    streams: {
      responseMode: "sse",
      retryMs: RETRY_MS,
      eventLog: new MemoryEventLog({ maxBytesPerSession: BUDGET }),
    },
    observe: { onError: () => {} },
  });
  const resumes: string[] = [];
  const counting = Object.assign(async (request: Request) => {
    const lastEventId = request.headers.get("last-event-id");
    if (lastEventId !== null) resumes.push(lastEventId);
    return await handler(request);
  }, { close: () => handler.close() });
  const running = await serveHandler(counting, 0);
  return {
    url: `${running.url}/mcp`,
    resumes,
    calls: () => calls,
    close: () => running.close(),
  };
}

/** Calls the tool through `call`, checks the error and the quiet after it. */
async function errorThenQuiet(
  connect: (url: string) => Promise<{ call(): Promise<unknown>; close(): Promise<void> }>,
): Promise<void> {
  const server = await serveDropping();
  const client = await connect(server.url);
  try {
    const started = performance.now();
    const outcome = await client.call().then(
      (result) => ({ result, error: undefined }),
      (error: { code?: number; message?: string }) => ({ result: undefined, error }),
    );
    assert.equal(outcome.result, undefined, "no result: it was dropped");
    assert.equal(outcome.error?.code, -32603, `an error, not a timeout: ${outcome.error?.message}`);
    assert.match(outcome.error?.message ?? "", /no longer kept/);
    assert.ok(performance.now() - started < CALL_TIMEOUT_MS, "before the call's own timeout");
    assert.equal(server.calls(), 1);
    await waitFor(() => server.resumes.length >= 1, "the client to have resumed");
    await sleep(10 * RETRY_MS);
    assert.equal(server.resumes.length, 1, "one resume, then quiet: no reconnect loop");
  } finally {
    await client.close();
    await server.close();
  }
}

describe("a resumed call whose answer the event log dropped", () => {
  it("SDK v1 client: the call fails with the server's error, one resume, no loop", async () => {
    await errorThenQuiet(async (url) => {
      const client = new Client({ name: "v1", version: "1.0.0" }, { capabilities: {} });
      client.onerror = () => {};
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      return {
        call: () =>
          client.callTool({ name: "report", arguments: {} }, undefined, {
            timeout: CALL_TIMEOUT_MS,
          }),
        close: () => client.close(),
      };
    });
  });

  it("SDK v2 client in a session: the call fails with the server's error, one resume, no loop", async () => {
    await errorThenQuiet(async (url) => {
      const client = new ClientV2({ name: "v2", version: "1.0.0" }, {
        capabilities: {},
        versionNegotiation: { mode: "legacy" },
      });
      client.onerror = () => {};
      const transport = new TransportV2(new URL(url));
      await client.connect(transport);
      assert.ok(transport.sessionId, "the legacy era, in a session");
      return {
        call: () =>
          client.callTool({ name: "report", arguments: {} }, { timeout: CALL_TIMEOUT_MS }),
        close: () => client.close(),
      };
    });
  });
});
