/**
 * Gateway views on workerd, over an HTTP upstream:
 * tests/e2e/edge/gateway_views_worker.ts (a tether gateway in a Durable
 * Object with two endpoints of different views, served by
 * scripts/workerd_fixture.sh) in front of an SDK upstream the test serves
 * on a loopback port, driven by the official SDK client over real HTTP.
 * Two principals see different tools; a hidden tool's call is answered as
 * unknown; a renamed one is listed and called by its new name only; the
 * second endpoint serves every entry and counts the same caps. The same on
 * Node, Deno and Bun: tests/e2e/gateway/views_test.ts.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connectClient, rawInitialize, type SdkConnection, textOf } from "../interop/helpers.ts";
import { type SdkUpstream, startSdkUpstream } from "../gateway/sdk_upstream.ts";
import { startWorkerdFixture, type WorkerdFixture, workerdSkip } from "./workerd_fixture.ts";

const names = (tools: { name: string }[]) => tools.map((tool) => tool.name).sort();

/** The JSON-RPC error `promise` rejects with (the SDK client's). */
async function errorOf(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, message } = error as { code: number; message: string };
    return { code, message };
  }
  assert.fail("expected an error");
}

describe("workerd: gateway views over an HTTP upstream", { skip: workerdSkip }, () => {
  let upstream: SdkUpstream;
  let fixture: WorkerdFixture;
  const connections: SdkConnection[] = [];
  const connect = async (url: string, user: string) => {
    const connection = await connectClient(url, { token: `down-${user}` });
    connections.push(connection);
    return connection;
  };
  before(async () => {
    upstream = await startSdkUpstream();
    fixture = await startWorkerdFixture("durable-object", {
      WORKER_ENTRY: "tests/e2e/edge/gateway_views_worker.ts",
      WORKER_CONDITIONS: "workerd,worker,browser",
      ALLOW_LOOPBACK: "1",
      UPSTREAM_URL: `${upstream.url}/mcp`,
    });
  });
  after(async () => {
    for (const connection of connections) {
      await connection.transport.terminateSession().catch(() => {});
      await connection.close().catch(() => {});
    }
    await fixture?.stop();
    await upstream?.close();
  });

  it("each principal sees its tools; hidden is unknown; renamed is called by the new name", async () => {
    const alice = await connect(fixture.url, "alice");
    const bob = await connect(fixture.url, "bob");
    const aliceTools = (await alice.client.listTools()).tools;
    assert.deepEqual(names(aliceTools), ["say", "up_whoami"]);
    assert.equal(aliceTools.find((tool) => tool.name === "say")!.description, "Says it back");
    assert.equal(
      textOf(await alice.client.callTool({ name: "say", arguments: { text: "hi" } })),
      "hi",
    );
    const old = await errorOf(alice.client.callTool({ name: "up_echo", arguments: { text: "x" } }));
    assert.deepEqual(old, { code: -32602, message: "MCP error -32602: Unknown tool: up_echo" });
    const bobTools = names((await bob.client.listTools()).tools);
    assert.ok(!bobTools.includes("up_echo") && bobTools.includes("up_whoami"), String(bobTools));
    const hidden = await errorOf(
      bob.client.callTool({ name: "up_echo", arguments: { text: "x" } }),
    );
    const never = await errorOf(bob.client.callTool({ name: "up_never", arguments: {} }));
    assert.equal(hidden.message, never.message.replace("up_never", "up_echo"));
  });

  it("the second endpoint serves every entry and shares the caps", async () => {
    const second = fixture.url.replace(/\/mcp$/, "/second/mcp");
    const carol = await connect(second, "carol");
    assert.ok(names((await carol.client.listTools()).tools).includes("up_echo"));
    assert.equal(
      textOf(await carol.client.callTool({ name: "up_echo", arguments: { text: "yo" } })),
      "yo",
    );
    // alice holds her one upstream session through the first endpoint (the test above).
    await assert.rejects(
      rawInitialize(second, { headers: { authorization: "Bearer down-alice" } }),
      /initialize failed: 429/,
    );
  });
});
