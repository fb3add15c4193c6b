/**
 * Without a registered tracer or meter provider tether's telemetry is a
 * no-op: nothing is started (Telemetry.begin answers undefined), tools see
 * no trace context, and no span reaches an exporter; the positive control
 * registers the SDK again and sees both.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { trace } from "@opentelemetry/api";
import { defineTool } from "../../../../mod.ts";
import { Telemetry } from "../../../../src/observe/telemetry/telemetry.ts";
import { initialize, makeHandler, rpc } from "../../../helpers.ts";
import { modernRpc } from "../../../support/modern_helpers.ts";
import { exporter, registerSdk, remoteCaller, unregisterSdk } from "./otel_sdk.ts";

before(registerSdk);
after(unregisterSdk);

describe("OpenTelemetry without a provider", () => {
  it("builds nothing and exports nothing; registering a provider turns it on", async () => {
    const contexts: unknown[] = [];
    const handler = makeHandler({
      tools: [defineTool({
        name: "look",
        handler: (_input, ctx) => {
          contexts.push(ctx.traceContext, trace.getActiveSpan());
          return "ok";
        },
      })],
    });
    const caller = remoteCaller("ab");
    const headers = { traceparent: caller.traceparent };
    unregisterSdk();
    try {
      exporter.reset();
      assert.equal(new Telemetry().begin(new Headers(headers)), undefined);
      const session = await initialize(handler);
      await rpc(handler, session, "tools/call", { name: "look", arguments: {} }, { headers });
      await modernRpc(handler, "tools/call", { name: "look", arguments: {} }, { headers });
      assert.deepEqual(contexts, [undefined, undefined, undefined, undefined]);
      assert.equal(exporter.getFinishedSpans().length, 0);
    } finally {
      registerSdk();
    }
    try {
      // Positive control: the same handler, once a provider is registered.
      assert.notEqual(new Telemetry().begin(new Headers(headers)), undefined);
      contexts.length = 0;
      await modernRpc(handler, "tools/call", { name: "look", arguments: {} }, { headers });
      assert.notEqual(contexts[0], undefined, "the tool sees its trace context");
      assert.notEqual(contexts[1], undefined, "and its span is active");
      assert.ok(exporter.getFinishedSpans().some((span) => span.name === "tools/call look"));
    } finally {
      exporter.reset();
      await handler.close();
    }
  });
});
