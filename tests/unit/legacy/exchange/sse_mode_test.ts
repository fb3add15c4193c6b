/**
 * responseMode "sse": a handler that finishes at once is answered with one
 * complete SSE body that is still resumable; a slow, silent handler gets its
 * stream (and priming event id) before it finishes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool } from "../../../../mod.ts";
import { initialize, makeHandler, parseSse, postRequest, within } from "../../../helpers.ts";

const quick = defineTool({ name: "quick", description: "answers at once", handler: () => "fast" });

describe("responseMode sse", () => {
  it("a handler that finishes at once gets a complete SSE body whose events can be replayed", async () => {
    const handler = makeHandler({ streams: { responseMode: "sse" }, tools: [quick] });
    const { id: sessionId } = await initialize(handler);
    const response = await handler(postRequest(
      { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "quick" } },
      { sessionId, protocolVersion: "2025-11-25" },
    ));
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const events = parseSse(await response.text());
    assert.equal(events.length, 2, "priming event, then the response");
    assert.equal(events[0].data, "");
    assert.ok(events[0].id);
    assert.deepEqual(JSON.parse(events[1].data!).result.content[0].text, "fast");

    // A client cut off after the priming event resumes and gets the response.
    const resumed = await handler(
      new Request("http://127.0.0.1:8787/mcp", {
        method: "GET",
        headers: {
          accept: "text/event-stream",
          "mcp-session-id": sessionId,
          "last-event-id": events[0].id!,
        },
      }),
    );
    // A resumed body opens with a comment (it has no priming event), then the replay.
    const replayed = parseSse(await resumed.text()).filter((event) => event.data !== undefined);
    assert.equal(replayed.length, 1);
    assert.equal(JSON.parse(replayed[0].data!).id, 7);
    assert.equal((await handler.stats()).openStreams, 0);
    await handler.close();
  });

  it("a slow handler that emits nothing gets its priming event before it finishes", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = defineTool({
      name: "slow",
      description: "waits",
      handler: async () => (await gate, "late"),
    });
    const handler = makeHandler({ streams: { responseMode: "sse" }, tools: [slow] });
    const { id: sessionId } = await initialize(handler);
    const response = await within(
      handler(postRequest(
        { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "slow" } },
        { sessionId, protocolVersion: "2025-11-25" },
      )),
      2_000,
      "the SSE response of a still-running tool",
    );
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode(
      (await within(reader.read(), 2_000, "the priming event")).value,
    );
    assert.match(
      first,
      /^id: \S+\nretry: \d+\ndata: \n\n$/,
      "the priming event arrives while the tool still runs",
    );
    release();
    let rest = "";
    for (;;) {
      const { done, value } = await within(reader.read(), 2_000, "the rest of the stream");
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    assert.equal(JSON.parse(parseSse(rest)[0].data!).result.content[0].text, "late");
    await handler.close();
  });

  it("a notification in a complete body is the one emitted, not its data as changed after", async () => {
    const logs = defineTool({
      name: "logs",
      description: "logs an object, then changes it",
      handler: async (_args, ctx) => {
        const data = { step: 1 };
        await ctx.log("info", data);
        data.step = 2;
        return "done";
      },
    });
    const handler = makeHandler({ tools: [logs] });
    const { id: sessionId } = await initialize(handler);
    const response = await handler(postRequest(
      { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "logs" } },
      { sessionId, protocolVersion: "2025-11-25" },
    ));
    const events = parseSse(await response.text()).filter((event) => event.data);
    assert.equal(events.length, 2, "the log message, then the response");
    assert.deepEqual(JSON.parse(events[0].data!).params.data, { step: 1 });
    assert.equal(JSON.parse(events[1].data!).result.content[0].text, "done");
    await handler.close();
  });
});
