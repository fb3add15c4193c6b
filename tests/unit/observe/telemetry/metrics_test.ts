/**
 * Metrics through the OpenTelemetry API, read with the SDK's metric reader:
 * `mcp.server.operation.duration` (seconds, the conventions' buckets) per
 * method, tool and outcome, and `mcp.server.session.duration` when a
 * session ends.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Attributes } from "@opentelemetry/api";
import { defineTool } from "../../../../mod.ts";
import { bodilessRequest, initialize, makeHandler, rpc } from "../../../helpers.ts";
import { modernRpc } from "../../../support/modern_helpers.ts";
import { histogram, registerSdk, unregisterSdk } from "./otel_sdk.ts";

before(registerSdk);
after(unregisterSdk);

/** The count of the data points of `name` whose attributes include `match`. */
async function countOf(name: string, match: Attributes): Promise<number> {
  const metric = await histogram(name);
  let count = 0;
  for (const point of metric?.dataPoints ?? []) {
    if (Object.entries(match).every(([key, value]) => point.attributes[key] === value)) {
      count += point.value.count;
    }
  }
  return count;
}

const BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

describe("OpenTelemetry metrics", () => {
  it("mcp.server.operation.duration per method and tool, with error.type on failures", async () => {
    const handler = makeHandler({
      tools: [
        defineTool({ name: "metered", handler: () => "ok" }),
        defineTool({
          name: "metered-failure",
          handler: () => {
            throw new Error("no");
          },
        }),
      ],
    });
    try {
      const session = await initialize(handler);
      await rpc(handler, session, "tools/call", { name: "metered", arguments: {} });
      await rpc(handler, session, "tools/call", { name: "metered", arguments: {} });
      await modernRpc(handler, "tools/call", { name: "metered", arguments: {} });
      await rpc(handler, session, "tools/call", { name: "metered-failure", arguments: {} });
      const metric = await histogram("mcp.server.operation.duration");
      assert.equal(metric?.descriptor.unit, "s");
      assert.deepEqual(metric?.dataPoints[0].value.buckets.boundaries, BUCKETS);
      const ok = {
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": "metered",
        "gen_ai.operation.name": "execute_tool",
      };
      assert.equal(
        await countOf("mcp.server.operation.duration", {
          ...ok,
          "mcp.protocol.version": session.protocolVersion,
        }),
        2,
      );
      assert.equal(
        await countOf("mcp.server.operation.duration", {
          ...ok,
          "mcp.protocol.version": "2026-07-28",
        }),
        1,
      );
      assert.equal(
        await countOf("mcp.server.operation.duration", {
          "gen_ai.tool.name": "metered-failure",
          "error.type": "tool_error",
        }),
        1,
      );
    } finally {
      await handler.close();
    }
  });

  it("mcp.server.session.duration when a session ends", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      // Counted with the same attributes as after: other sessions may have ended before this one.
      const ended = {
        "tether.session.end_reason": "delete",
        "mcp.protocol.version": session.protocolVersion,
      };
      const before = await countOf("mcp.server.session.duration", ended);
      await rpc(handler, session, "ping");
      await handler(bodilessRequest("DELETE", {
        sessionId: session.id,
        protocolVersion: session.protocolVersion,
      }));
      const metric = await histogram("mcp.server.session.duration");
      assert.equal(metric?.descriptor.unit, "s");
      assert.equal(await countOf("mcp.server.session.duration", ended), before + 1);
    } finally {
      await handler.close();
    }
  });
});
