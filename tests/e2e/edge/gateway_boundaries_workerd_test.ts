/**
 * The gateway's boundaries on workerd, over its HTTP upstreams (no stdio
 * there): tests/e2e/edge/gateway_boundaries_worker.ts (a tether gateway in a
 * Durable Object, served by scripts/workerd_fixture.sh) in front of an
 * upstream the test serves on a loopback port, driven by the official SDK
 * client over real HTTP. A hostile upstream's 500 with secrets, its
 * redirects and an SSE stream ended without the answer read only as
 * `Upstream "evil" is unavailable` (or `… ended the response without an
 * answer`), and a redirect's target is never reached; an upstream that
 * restarted (old session ids answer 404) serves the next call of an existing
 * downstream session on a new upstream session; two anonymous 2026-07-28
 * callers calling at once each get only what the upstream sent about their
 * own call (tether's own test client over HTTP: the official SDK client
 * does not speak 2026-07-28). The same on Node, Deno and Bun:
 * tests/e2e/gateway/errors_test.ts, sessions_restart_test.ts,
 * anonymous_test.ts.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connectClient, type SdkConnection, textOf, WAIT_MS } from "../interop/helpers.ts";
import { within } from "../../helpers.ts";
import { type HostileUpstream, SECRETS, startHostileUpstream } from "../gateway/errors_upstream.ts";
import { type RelayUpstream, startRelayUpstream } from "../gateway/relay_upstream.ts";
import { assertAnonymousCallersApart } from "../gateway/anonymous_callers.ts";
import { startWorkerdFixture, type WorkerdFixture, workerdSkip } from "./workerd_fixture.ts";

/** The gateway Worker in front of `url`, its fragment naming the upstream. */
const startGateway = (url: string): Promise<WorkerdFixture> =>
  startWorkerdFixture("durable-object", {
    WORKER_ENTRY: "tests/e2e/edge/gateway_boundaries_worker.ts",
    WORKER_CONDITIONS: "workerd,worker,browser",
    ALLOW_LOOPBACK: "1",
    UPSTREAM_URL: url,
  });

/** Ends each session with DELETE first (workerd drains a session left without one slowly). */
async function closeAll(connections: SdkConnection[]): Promise<void> {
  for (const connection of connections) {
    await connection.transport.terminateSession().catch(() => {});
    await connection.close().catch(() => {});
  }
}

describe("workerd: a gateway in front of a hostile HTTP upstream", { skip: workerdSkip }, () => {
  const UNAVAILABLE = 'Upstream "evil" is unavailable';
  const UNANSWERED = 'Upstream "evil" ended the response without an answer';
  let upstream: HostileUpstream;
  let fixture: WorkerdFixture;
  let connection: SdkConnection;
  before(async () => {
    upstream = await startHostileUpstream();
    fixture = await startGateway(`${upstream.url}/mcp#evil`);
    connection = await connectClient(fixture.url);
  });
  after(async () => {
    if (connection !== undefined) await closeAll([connection]);
    await fixture?.stop();
    await upstream?.close();
  });

  const call = (name: string) =>
    within(
      connection.client.callTool({ name: `evil_${name}`, arguments: {} }),
      WAIT_MS,
      `the call of evil_${name}`,
    );

  /** Asserts `result` is a tool error reading exactly `text`, with none of the upstream's secrets. */
  function assertToolError(result: Record<string, unknown>, text: string): void {
    const seen = JSON.stringify(result);
    assert.equal(result.isError, true, `${seen}\n${fixture.output()}`);
    assert.equal(textOf(result), text);
    for (const secret of SECRETS) assert.ok(!seen.includes(secret), `${secret} leaked: ${seen}`);
  }

  it("a 500 with secrets, a redirect out of the origin or a wrong content type reads only 'unavailable'", async () => {
    assertToolError(await call("boom"), UNAVAILABLE);
    assertToolError(await call("away"), UNAVAILABLE);
    assertToolError(await call("html"), UNAVAILABLE);
    assert.equal(textOf(await call("fine")), "fine", "the upstream session still serves");
  });

  it("a redirect within the upstream's origin is not followed: nothing reaches its target", async () => {
    assertToolError(await call("moved"), UNAVAILABLE);
    assert.ok(!upstream.requests.includes("POST /reroute"), upstream.requests.join(", "));
  });

  it("an SSE stream that ends without the answer fails the call at once, naming only the upstream", async () => {
    assertToolError(await call("cut"), UNANSWERED);
    assert.equal(textOf(await call("fine")), "fine", "the session, alive, is kept");
  });
});

describe("workerd: a gateway in front of an HTTP upstream that restarted", {
  skip: workerdSkip,
}, () => {
  let upstream: RelayUpstream;
  let fixture: WorkerdFixture;
  const connections: SdkConnection[] = [];
  before(async () => {
    upstream = await startRelayUpstream();
    fixture = await startGateway(`${upstream.url}/mcp#up`);
  });
  after(async () => {
    await closeAll(connections);
    await fixture?.stop();
    await upstream?.close();
  });

  const whoami = (connection: SdkConnection) =>
    within(
      connection.client.callTool({ name: "up_whoami", arguments: {} }),
      WAIT_MS,
      "the call of up_whoami",
    );

  it("the next call of an existing downstream session runs on a new upstream session", async () => {
    const connection = await connectClient(fixture.url, { token: "down-alice" });
    connections.push(connection);
    const before = textOf(await whoami(connection));
    await upstream.restart();
    const after = await whoami(connection);
    assert.notEqual(after.isError, true, `${JSON.stringify(after)}\n${fixture.output()}`);
    assert.notEqual(textOf(after), before, "a new upstream session");
    assert.equal(textOf(await whoami(connection)), textOf(after), "and the calls after it");
    const stats = await (await fetch(fixture.url.replace(/\/mcp$/, "/__stats"))).json();
    assert.equal(stats.upstreamSessions, 1, JSON.stringify(stats));
  });
});

describe("workerd: a gateway's anonymous callers", { skip: workerdSkip }, () => {
  let upstream: RelayUpstream;
  let fixture: WorkerdFixture;
  before(async () => {
    upstream = await startRelayUpstream();
    fixture = await startGateway(`${upstream.url}/mcp#up`);
  });
  after(async () => {
    await fixture?.stop();
    await upstream?.close();
  });

  it("two anonymous 2026-07-28 clients calling at once each get only their own elicitation, sampling and logs", async () => {
    await assertAnonymousCallersApart(upstream, (request) => fetch(request), {
      url: fixture.url,
      detail: () => fixture.output(),
    });
  });
});
