/**
 * Upstream sessions that the upstream forgot are replaced at once (a
 * hostile SDK upstream over HTTP, restarted: every old session id answers
 * `404`): the next call of an existing downstream session succeeds on a new
 * upstream session, and so does a 2026-07-28 principal's next call, with no
 * idle probe (the probe is an hour away).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect, type TestEra } from "../../../src/testing/mod.ts";
import { textOf } from "../interop/helpers.ts";
import { startRelayRig } from "./relay_upstream.ts";

const HOUR = 3_600_000;

describe("gateway: an upstream that restarted", () => {
  for (const era of ["2025", "2026"] as TestEra[]) {
    it(`era ${era}: the next call runs on a new upstream session, not the forgotten one`, async () => {
      const rig = await startRelayRig({ idleProbeMs: HOUR });
      try {
        const headers = { authorization: "Bearer down-alice" };
        const client = await connect(rig.handler, { era, headers, timeoutMs: 60_000 });
        const before = textOf((await client.callTool("up_whoami")).result as never);
        await rig.upstream.restart();
        const after = await client.callTool("up_whoami");
        assert.notEqual(after.result.isError, true, JSON.stringify(after.result));
        assert.notEqual(textOf(after.result as never), before, "a new upstream session");
        // And the calls after it, and (2026) another client of the principal.
        const again = await client.callTool("up_whoami");
        assert.equal(textOf(again.result as never), textOf(after.result as never));
        const other = await connect(rig.handler, { era, headers, timeoutMs: 60_000 });
        const theirs = await other.callTool("up_whoami");
        assert.notEqual(theirs.result.isError, true, JSON.stringify(theirs.result));
        assert.equal(rig.gateway.stats().upstreamSessions, era === "2025" ? 2 : 1);
        await client.close();
        await other.close();
      } finally {
        await rig.close();
      }
    });
  }

  it("a call whose 404 is slow is sent again, though the session ended under it first", async () => {
    // The restart ends the upstream's GET stream; the gateway's probe learns of the forgotten
    // session (404) while the call's own 404 is still on its way: the call is sent again on a
    // new session, not failed as closed.
    const rig = await startRelayRig({ idleProbeMs: HOUR });
    try {
      const client = await connect(rig.handler, { era: "2025", timeoutMs: 60_000 });
      const before = textOf((await client.callTool("up_whoami")).result as never);
      rig.upstream.notFoundDelayMs = 500;
      await rig.upstream.restart();
      const after = await client.callTool("up_whoami");
      assert.notEqual(after.result.isError, true, JSON.stringify(after.result));
      assert.notEqual(textOf(after.result as never), before, "a new upstream session");
      assert.equal(rig.upstream.record.callsNotFound, 1);
      await client.close();
    } finally {
      await rig.close();
    }
  });

  it("a session the upstream forgets again on the retry fails the call as unavailable", async () => {
    const rig = await startRelayRig({ idleProbeMs: HOUR });
    try {
      const client = await connect(rig.handler, { era: "2025", timeoutMs: 60_000 });
      await client.callTool("up_whoami");
      await rig.upstream.restart();
      rig.upstream.refuseCalls = true;
      const failed = await client.callTool("up_whoami");
      assert.equal(failed.result.isError, true);
      assert.match(textOf(failed.result as never), /Upstream "up" is unavailable/);
      assert.equal(rig.upstream.record.callsNotFound, 2, "sent once, retried once");
      rig.upstream.refuseCalls = false;
      const later = await client.callTool("up_whoami");
      assert.notEqual(later.result.isError, true, JSON.stringify(later.result));
      await client.close();
    } finally {
      await rig.close();
    }
  });
});
