/**
 * Callers without credentials kept apart (a gateway as examples/gateway.ts
 * runs it: no authentication; a hostile SDK upstream over HTTP): two
 * anonymous 2026-07-28 clients whose calls run at once each get only what
 * the upstream sent about their own call; one anonymous client opening 40
 * sessions does not lock out another anonymous caller.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "../../../src/testing/mod.ts";
import { startRelayRig as startRig } from "./relay_upstream.ts";
import { assertAnonymousCallersApart } from "./anonymous_callers.ts";

describe("gateway: anonymous callers", () => {
  it("two anonymous 2026-07-28 clients calling at once each get only their own elicitation, sampling and logs", async () => {
    const rig = await startRig();
    try {
      await assertAnonymousCallersApart(rig.upstream, rig.handler);
    } finally {
      await rig.close();
    }
  });

  it("one anonymous client's 40 sessions do not lock out another anonymous caller", async () => {
    const rig = await startRig();
    try {
      const greedy = [];
      // Ten at a time: the point is how many are held, not how fast they came.
      for (let batch = 0; batch < 4; batch++) {
        const opened = await Promise.all(
          Array.from(
            { length: 10 },
            () => connect(rig.handler, { era: "2025", timeoutMs: 60_000 }),
          ),
        );
        // Each takes its upstream session with a call.
        await Promise.all(opened.map((client) => client.callTool("up_whoami")));
        greedy.push(...opened);
      }
      assert.equal(rig.gateway.stats().upstreamSessions, 40);
      // Through the door (gateway.authenticate) and to a call of its own.
      const other = await connect(rig.handler, { era: "2025", timeoutMs: 60_000 });
      const called = await other.callTool("up_whoami");
      assert.notEqual(called.result.isError, true, JSON.stringify(called.result));
      const modern = await connect(rig.handler, { era: "2026", timeoutMs: 60_000 });
      const modernCall = await modern.callTool("up_whoami");
      assert.notEqual(modernCall.result.isError, true, JSON.stringify(modernCall.result));
      for (const client of [...greedy, other, modern]) await client.close();
    } finally {
      await rig.close();
    }
  });
});
