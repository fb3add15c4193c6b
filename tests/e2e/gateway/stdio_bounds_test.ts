/**
 * The bounds on stdio upstream processes (a small SDK server run as a
 * subprocess on the test's runtime, official SDK clients downstream): a cap
 * across the gateway and a share per principal (anonymous callers sharing
 * one), refused as a tool error with a retry hint, with places given back
 * when processes end; and the idle close, which ends a process no call has
 * used for `stdioIdleCloseMs` (never one with a call in flight or a resource
 * subscription) and opens a new one on the next call.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type SdkConnection, sleep, textOf, waitFor } from "../interop/helpers.ts";
import { alive } from "./runtime_command.ts";
import { startStdioGateway } from "./stdio_gateway.ts";

/** The text of a refused call (a tool error). */
async function refusal(connection: SdkConnection): Promise<string> {
  const result = await connection.client.callTool({ name: "local_pid", arguments: {} });
  assert.equal(result.isError, true, `refused, got ${JSON.stringify(result)}`);
  return textOf(result);
}

describe("gateway stdio process bounds", () => {
  it("caps processes per principal and in all, with a retry hint; an ended one gives its place back", async () => {
    const fixture = await startStdioGateway({ maxProcesses: 3, maxProcessesPerPrincipal: 2 });
    try {
      const alice = [
        await fixture.connect("alice"),
        await fixture.connect("alice"),
        await fixture.connect("alice"),
      ];
      const first = await fixture.pid(alice[0]);
      const second = await fixture.pid(alice[1]);
      assert.notEqual(first, second, "a process per session");
      assert.match(
        await refusal(alice[2]),
        /Too many upstream processes for this caller \(limit 2\); retry after 5s/,
      );
      const bob = [await fixture.connect("bob"), await fixture.connect("bob")];
      await fixture.pid(bob[0]);
      assert.match(
        await refusal(bob[1]),
        /The gateway runs its limit of 3 upstream processes; retry after 5s/,
      );
      assert.equal(fixture.gateway.stats().upstreamProcesses, 3);
      assert.ok(fixture.pids.every(alive), "the three processes run");

      await alice[0].transport.terminateSession();
      await waitFor(
        () => !alive(first) && fixture.gateway.stats().upstreamProcesses === 2,
        "the ended session's process gone, its place given back",
      );
      const third = await fixture.pid(alice[2]);
      assert.ok(alive(third) && alive(second), "alice runs two again");
      assert.equal(fixture.gateway.stats().upstreamProcesses, 3);
    } finally {
      await fixture.close();
    }
  });

  it("anonymous callers share one principal's share, not one each", async () => {
    const fixture = await startStdioGateway({ maxProcessesPerPrincipal: 2 });
    try {
      const sessions = [await fixture.connect(), await fixture.connect(), await fixture.connect()];
      await fixture.pid(sessions[0]);
      await fixture.pid(sessions[1]);
      assert.match(
        await refusal(sessions[2]),
        /Too many upstream processes for this caller \(limit 2\)/,
      );
      const carol = await fixture.connect("carol");
      await fixture.pid(carol);
      assert.equal(fixture.gateway.stats().upstreamProcesses, 3);
    } finally {
      await fixture.close();
    }
  });

  it("an idle process is ended after stdioIdleCloseMs; the next call opens a new one", async () => {
    const fixture = await startStdioGateway({ stdioIdleCloseMs: 300 });
    try {
      const session = await fixture.connect("alice");
      const first = await fixture.pid(session);
      assert.equal(fixture.gateway.stats().upstreamProcesses, 1);
      await waitFor(
        () => !alive(first) && fixture.gateway.stats().upstreamProcesses === 0,
        "the idle process ended",
      );
      assert.equal(fixture.gateway.stats().upstreamSessions, 0, "its upstream session too");
      const second = await fixture.pid(session);
      assert.notEqual(second, first, "a new process");
      assert.equal(fixture.gateway.stats().upstreamSessionsOpened, 2);
    } finally {
      await fixture.close();
    }
  });

  it("a call in flight and a resource subscription keep a process past stdioIdleCloseMs", async () => {
    const fixture = await startStdioGateway({ stdioIdleCloseMs: 200 });
    try {
      const session = await fixture.connect("alice");
      // A call of 1 s, five idle periods and more, with its request in flight: ending the
      // process mid-call would fail it.
      const slow = await session.client.callTool({ name: "local_sleep", arguments: { ms: 1_000 } });
      assert.equal(slow.isError, undefined, `kept mid-call, got ${JSON.stringify(slow)}`);
      fixture.pids.push(Number(textOf(slow)));

      // (After the call it may have been ended already: subscribing opens one if so.)
      await session.client.subscribeResource({ uri: "memo://pid" });
      const pidNow = async () => {
        const { contents } = await session.client.readResource({ uri: "memo://pid" });
        return Number((contents[0] as { text: string }).text);
      };
      const subscribed = await pidNow();
      fixture.pids.push(subscribed);
      await sleep(1_000);
      assert.ok(alive(subscribed), "kept while subscribed");
      assert.equal(await pidNow(), subscribed, "the same process answers after the idle time");

      // Control: without the subscription it is ended as any idle process.
      await session.client.unsubscribeResource({ uri: "memo://pid" });
      await waitFor(() => !alive(subscribed), "ended once unsubscribed and idle");
    } finally {
      await fixture.close();
    }
  });
});
