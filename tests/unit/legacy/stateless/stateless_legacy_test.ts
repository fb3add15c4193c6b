/**
 * The stateless 2025 POST path (src/legacy/stateless/stateless_legacy.ts) on its own:
 * each POST's events and streams are forgotten with its answer (nothing
 * accumulates between requests), and closing the POST's response cancels its
 * work (no client can come back for it).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool } from "../../../../mod.ts";
import type { MemoryEventLog } from "../../../../src/storage/mod.ts";
import { KeepAlive } from "../../../../src/http/sse/keep_alive.ts";
import type { ClassifiedMessage } from "../../../../src/jsonrpc/messages.ts";
import { StatelessLegacy } from "../../../../src/legacy/stateless/stateless_legacy.ts";
import { resolveOptions } from "../../../../src/config/resolve.ts";
import { ANONYMOUS_PRINCIPAL } from "../../../../src/protocol/context/request_context.ts";
import { Dispatcher } from "../../../../src/protocol/dispatch/dispatcher.ts";
import { Telemetry } from "../../../../src/observe/telemetry/telemetry.ts";
import { blockingTool } from "../../../blocking_tool.ts";
import { abortReason, postRequest, within } from "../../../helpers.ts";

const steps = defineTool({
  name: "steps",
  handler: async (_input, ctx) => {
    for (let i = 1; i <= 3; i++) await ctx.progress(i, 3);
    return "stepped";
  },
});

function setup() {
  const blocking = blockingTool({ announce: true });
  const tools = [steps, blocking.tool];
  const config = resolveOptions({
    name: "unit",
    version: "1.0.0",
    tools,
    eras: { legacy: "stateless" },
    observe: {
      onError: () => {},
    },
  });
  const stateless = new StatelessLegacy({
    settings: config,
    dispatcher: new Dispatcher({
      info: { name: "unit", version: "1.0.0" },
      tools,
      pageSize: 100,
      maxUriBytes: 1024,
      onError: () => {},
    }),
    keepAlive: new KeepAlive(0),
    telemetry: new Telemetry(),
  });
  return { stateless, blocking };
}

function callOf(id: number, name: string): ClassifiedMessage[] {
  return [{
    kind: "request",
    message: {
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name, arguments: {}, _meta: { progressToken: id } },
    },
  }] as ClassifiedMessage[];
}

async function post(stateless: StatelessLegacy, id: number, name: string): Promise<Response> {
  const body = callOf(id, name)[0].message;
  const request = postRequest(body, { protocolVersion: "2025-11-25" });
  const answer = await stateless.serve({
    request,
    headers: request.headers,
    messages: callOf(id, name),
    isBatch: false,
    principal: ANONYMOUS_PRINCIPAL,
    versionHeader: "2025-11-25",
  });
  assert.ok(answer instanceof Response, "a response, not a refusal");
  return answer;
}

describe("StatelessLegacy", () => {
  it("forgets each POST's events and streams once its stream is read to the end", async () => {
    const { stateless } = setup();
    try {
      for (let id = 1; id <= 3; id++) {
        const response = await post(stateless, id, "steps");
        assert.equal(response.headers.get("content-type"), "text/event-stream");
        assert.match(await within(response.text(), 5_000, "the stream to end"), /stepped/);
      }
      assert.equal(stateless.hub.sessionIds().size, 0, "no stream is kept");
      assert.equal((stateless.hub.eventLog as MemoryEventLog).totalBytes, 0, "no event is kept");
      assert.equal(stateless.inFlight.size, 0);
    } finally {
      stateless.close();
    }
  });

  it("close() aborts the work in flight", async () => {
    const { stateless, blocking } = setup();
    const response = await post(stateless, 1, "block");
    await within(blocking.started, 5_000, "the call to start");
    stateless.close();
    assert.equal(await abortReason(blocking.calls[0].signal, 5_000), "server-closed");
    await response.body?.cancel();
  });

  it("closing the POST's response cancels its work", async () => {
    const { stateless, blocking } = setup();
    try {
      const response = await post(stateless, 1, "block");
      await within(blocking.started, 5_000, "the call to start");
      await response.body!.cancel();
      await abortReason(blocking.calls[0].signal, 5_000);
      assert.equal((stateless.hub.eventLog as MemoryEventLog).totalBytes, 0);
    } finally {
      stateless.close();
    }
  });
});
