/**
 * What passes through the gateway during a call, 2025 sessions (SDK client
 * downstream, SDK upstream): progress and logging up to the client,
 * cancellation down to the upstream tool's signal, and elicitation,
 * sampling and roots asked by the upstream, answered by the downstream client.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import {
  ListRootsRequestSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  textOf,
  waitFor,
} from "../interop/helpers.ts";
import { startGateway } from "./fixture.ts";

describe("gateway passthrough (2025 sessions)", () => {
  it("progress and logs reach the client; cancelling reaches the upstream tool's signal", async () => {
    const fixture = await startGateway();
    try {
      const logs: unknown[] = [];
      const a = await fixture.connect("alice", {
        setup: (client) =>
          client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
            logs.push(notification.params.data);
          }),
      });
      const progress: unknown[] = [];
      const controller = new AbortController();
      const started = new Promise<void>((resolve) =>
        fixture.upstream.record.slowStarted.push(resolve)
      );
      const call = a.client.callTool({ name: "up_slow", arguments: {} }, undefined, {
        signal: controller.signal,
        onprogress: (update) => progress.push(update),
      });
      await started;
      await waitFor(() => progress.length === 1 && logs.length === 1, "progress and log relayed");
      assert.deepEqual(progress, [{ progress: 1, total: 2, message: "halfway" }]);
      assert.deepEqual(logs, ["slow started"]);
      controller.abort("enough");
      await assert.rejects(call);
      await waitFor(
        () => fixture.upstream.record.aborted === 1,
        "the upstream tool's signal aborted",
      );
    } finally {
      await fixture.close();
    }
  });

  it("elicitation, sampling and roots from the upstream are answered by the downstream client", async () => {
    const fixture = await startGateway();
    try {
      const a = await fixture.connect("alice", {
        capabilities: { elicitation: {}, sampling: {}, roots: {} },
        setup: (client) => {
          client.setRequestHandler(ElicitRequestSchema, () => ({
            action: "accept",
            content: { name: "Ada" },
          }));
          client.setRequestHandler(CreateMessageRequestSchema, () => ({
            role: "assistant",
            model: "test",
            content: { type: "text", text: "sampled" },
          }));
          client.setRequestHandler(ListRootsRequestSchema, () => ({
            roots: [{ uri: "file:///work" }],
          }));
        },
      });
      assert.equal(
        textOf(await a.client.callTool({ name: "up_ask", arguments: {} })),
        "accept:Ada",
      );
      assert.equal(
        textOf(await a.client.callTool({ name: "up_sample", arguments: {} })),
        "sampled",
      );
      assert.equal(
        textOf(await a.client.callTool({ name: "up_roots", arguments: {} })),
        "file:///work",
      );
    } finally {
      await fixture.close();
    }
  });

  it("a client without elicitation makes the upstream's elicitation fail, not hang", async () => {
    const fixture = await startGateway();
    try {
      const a = await fixture.connect("alice");
      const result = await a.client.callTool({ name: "up_ask", arguments: {} });
      assert.equal(result.isError, true, JSON.stringify(result));
    } finally {
      await fixture.close();
    }
  });

  it("an upstream's tools/list_changed reaches the downstream client with the new list", async () => {
    const fixture = await startGateway();
    try {
      let changes = 0;
      const a = await fixture.connect("alice", {
        setup: (client) =>
          client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
            changes++;
          }),
      });
      const before = (await a.client.listTools()).tools.map((tool) => tool.name);
      assert.ok(!before.includes("up_late"));
      fixture.upstream.addTool("late");
      await waitFor(() => changes > 0, "tools/list_changed relayed downstream");
      await waitFor(
        async () => (await a.client.listTools()).tools.some((tool) => tool.name === "up_late"),
        "the new tool listed",
      );
      assert.equal(
        (await a.client.callTool({ name: "up_late", arguments: {} })).isError,
        undefined,
      );
    } finally {
      await fixture.close();
    }
  });
});
