/**
 * The gateway on workerd: tests/e2e/edge/gateway_worker.ts (a tether gateway
 * in a Durable Object, served by scripts/workerd_fixture.sh without
 * nodejs_compat) in front of an HTTP upstream the test serves on a loopback
 * port (tests/e2e/gateway/sdk_upstream.ts, the official SDK server), driven
 * by the official SDK client: the upstream's tools listed under its
 * namespace (one with an output schema, which the gateway's SDK client must
 * not compile with code generation), progress relayed and a cancellation
 * reaching the upstream tool, one upstream session per downstream session
 * (reused within it), no downstream token upstream, DELETE closing the
 * upstream session; defining a stdio upstream there throws a clear error.
 * The same behaviour on Node, Deno and Bun: tests/e2e/gateway/.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connectClient, type SdkConnection, textOf, waitFor } from "../interop/helpers.ts";
import { type SdkUpstream, startSdkUpstream } from "../gateway/sdk_upstream.ts";
import { startWorkerdFixture, type WorkerdFixture, workerdSkip } from "./workerd_fixture.ts";

describe("workerd: a gateway in a Durable Object in front of an HTTP upstream", {
  skip: workerdSkip,
}, () => {
  let upstream: SdkUpstream;
  let fixture: WorkerdFixture;
  const connections: SdkConnection[] = [];
  before(async () => {
    upstream = await startSdkUpstream();
    fixture = await startWorkerdFixture("durable-object", {
      WORKER_ENTRY: "tests/e2e/edge/gateway_worker.ts",
      WORKER_CONDITIONS: "workerd,worker,browser",
      ALLOW_LOOPBACK: "1",
      UPSTREAM_URL: `${upstream.url}/mcp`,
    });
  });
  after(async () => {
    // Each session ended with DELETE first: on SIGTERM workerd takes 10 s or more to drain a
    // session whose SDK client left without one (the everything fixture does the same).
    for (const connection of connections) {
      await connection.transport.terminateSession().catch(() => {});
      await connection.close().catch(() => {});
    }
    await fixture?.stop();
    await upstream?.close();
  });

  /** An SDK client of the gateway as `user` (token `down-<user>`). */
  async function connect(user: string): Promise<SdkConnection> {
    const connection = await connectClient(fixture.url, { token: `down-${user}` });
    connections.push(connection);
    return connection;
  }

  const whoami = async (connection: SdkConnection) =>
    textOf(await connection.client.callTool({ name: "up_whoami", arguments: {} }));

  it("lists the upstream's tools under its namespace and relays a call", async () => {
    const a = await connect("alice");
    const tools = (await a.client.listTools()).tools.map((tool) => tool.name);
    for (const name of ["up_whoami", "up_echo", "up_slow"]) {
      assert.ok(tools.includes(name), `${name} among ${tools}\n${fixture.output()}`);
    }
    const echoed = await a.client.callTool({ name: "up_echo", arguments: { text: "hi" } });
    assert.equal(textOf(echoed), "hi");
    // A tool with an output schema: the upstream client validates without code generation.
    const forecast = await a.client.callTool({ name: "up_forecast", arguments: { city: "Oslo" } });
    assert.deepEqual(forecast.structuredContent, { city: "Oslo", sky: "sunny" });
  });

  it("relays progress, and a cancellation reaches the upstream tool's signal", async () => {
    const a = await connect("alice");
    const progress: unknown[] = [];
    const controller = new AbortController();
    const started = new Promise<void>((resolve) => upstream.record.slowStarted.push(resolve));
    const call = a.client.callTool({ name: "up_slow", arguments: {} }, undefined, {
      signal: controller.signal,
      onprogress: (update) => progress.push(update),
    });
    await started;
    await waitFor(() => progress.length === 1, "progress relayed");
    assert.deepEqual(progress, [{ progress: 1, total: 2, message: "halfway" }]);
    const aborted = upstream.record.aborted;
    controller.abort("enough");
    await assert.rejects(call);
    await waitFor(
      () => upstream.record.aborted === aborted + 1,
      "the upstream tool's signal aborted",
    );
  });

  it("two downstream sessions get two upstream sessions, each reused; DELETE closes one", async () => {
    const initializes = upstream.record.initializes;
    const a = await connect("alice");
    const b = await connect("alice");
    const c = await connect("bob");
    const seen: string[] = [];
    for (const connection of [a, b, c]) {
      const first = await whoami(connection);
      assert.equal(await whoami(connection), first, "reused within a downstream session");
      seen.push(first);
    }
    assert.equal(new Set(seen).size, 3, `three upstream sessions: ${seen}`);
    assert.equal(upstream.record.initializes, initializes + 3, "one initialize per session");
    for (const id of seen) assert.ok(upstream.record.live.has(id));

    const authorizations = new Set(upstream.record.authorizations);
    for (const value of authorizations) {
      assert.ok(!value.includes("down-"), `a downstream token reached the upstream: ${value}`);
    }
    assert.ok(authorizations.has("Bearer up-alice") && authorizations.has("Bearer up-bob"));

    await a.transport.terminateSession();
    await waitFor(() => !upstream.record.live.has(seen[0]), "A's upstream session closed");
    assert.ok(upstream.record.live.has(seen[1]), "B's upstream session stays");
    assert.equal(await whoami(b), seen[1]);
  });

  it("defining a stdio upstream throws a clear error", async () => {
    const response = await fetch(fixture.url.replace(/\/mcp$/, "/__stdio"));
    assert.equal(response.status, 200, fixture.output());
    const body = await response.json() as { threw: boolean; name: string; message: string };
    assert.equal(body.threw, true, "stdioUpstream did not throw on workerd");
    assert.equal(body.name, "TypeError");
    assert.match(body.message, /stdio upstreams need subprocesses \(Node, Deno or Bun\)/);
  });
});
