/**
 * The per-call relay bounds against an upstream that floods (a hostile SDK
 * upstream over HTTP, tether's testing client downstream): of 1,000
 * progress notifications, 1,000 log messages and 40 elicitations sent in
 * one call, the client gets at most `maxRelayedProgress` and
 * `maxRelayedLogs`, and `maxRelayedRequests` elicitations in flight; the
 * rest are refused to the upstream or dropped, and counted in `stats()`.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "../../../src/testing/mod.ts";
import { waitFor } from "../interop/helpers.ts";
import { startRelayRig } from "./relay_upstream.ts";

describe("gateway: relay bounds per call", () => {
  it("a flood of progress, logs and elicitations in one call is capped, the excess counted", async () => {
    const rig = await startRelayRig({
      maxRelayedProgress: 50,
      maxRelayedLogs: 50,
      maxRelayedRequests: 4,
    });
    const { upstream, gateway, handler } = rig;
    try {
      let elicited = 0;
      const client = await connect(handler, {
        era: "2025",
        timeoutMs: 120_000,
        handlers: {
          elicitation: async () => {
            elicited++;
            // Held until the upstream saw the rest refused: all four are in flight at once.
            await waitFor(() => upstream.record.refused >= 36, "the excess refused", 60_000);
            return { action: "accept", content: {} };
          },
        },
      });
      await client.request("logging/setLevel", { level: "debug" });
      let progress = 0;
      const outcome = await client.callTool("up_flood", {
        progress: 1_000,
        logs: 1_000,
        elicitations: 40,
      }, { onProgress: () => progress++ });
      assert.notEqual(outcome.result.isError, true, JSON.stringify(outcome.result));
      const logs = outcome.messages.filter((m) =>
        "method" in m && m.method === "notifications/message"
      ).length;
      assert.ok(progress >= 1 && progress <= 50, `progress relayed: ${progress}`);
      assert.ok(logs >= 1 && logs <= 50, `logs relayed: ${logs}`);
      assert.equal(elicited, 4, "four elicitations in flight reached the client");
      assert.equal(upstream.record.refused, 36, "the other 36 were refused to the upstream");
      assert.equal(upstream.record.answered, 4);
      // Progress after the answer is the SDK's to drop; what arrived before it is counted.
      const dropped = gateway.stats().relaysDropped;
      assert.ok(dropped >= 2 * 950 + 36, `dropped: ${dropped}`);
      await client.close();
    } finally {
      await rig.close();
    }
  });
});
