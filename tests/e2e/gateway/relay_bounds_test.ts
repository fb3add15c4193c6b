/**
 * The per-call relay bounds against an upstream that floods (a hostile SDK
 * upstream over HTTP, tether's testing client downstream): of 1,000
 * progress notifications, 1,000 log messages and 40 elicitations sent in
 * one call, the client gets at most `maxRelayedProgress` and
 * `maxRelayedLogs`, and `maxRelayedRequests` elicitations in flight; the
 * rest are refused to the upstream or dropped, and counted in `stats()`.
 */

import { describe, it } from "node:test";
import { startRelayRig } from "./relay_upstream.ts";
import { assertFloodCapped } from "./relay_flood.ts";

describe("gateway: relay bounds per call", () => {
  it("a flood of progress, logs and elicitations in one call is capped, the excess counted", async () => {
    const rig = await startRelayRig({
      maxRelayedProgress: 50,
      maxRelayedLogs: 50,
      maxRelayedRequests: 4,
    });
    try {
      await assertFloodCapped(rig.upstream, rig.handler, {
        count: 1_000,
        dropped: () => rig.gateway.stats().relaysDropped,
      });
    } finally {
      await rig.close();
    }
  });
});
