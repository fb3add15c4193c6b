/**
 * The ContextForge reproducer (PR #4299) against real parts: an SDK upstream,
 * tether as the gateway, SDK clients downstream. Two downstream sessions of
 * one principal, and one of another, never see each other's upstream
 * session (an upstream tool reports its session); one upstream `initialize`
 * per downstream session however many calls; no downstream token reaches
 * the upstream; DELETE and shutdown close the upstream sessions.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { textOf, waitFor } from "../interop/helpers.ts";
import { startGateway } from "./fixture.ts";

describe("gateway isolation", () => {
  it("one upstream session per downstream session, same principal or not, reused within it", async () => {
    const fixture = await startGateway();
    try {
      const discovery = fixture.upstream.record.initializes;
      assert.equal(discovery, 1, "one discovery session at startup");
      const a = await fixture.connect("alice");
      const b = await fixture.connect("alice");
      const c = await fixture.connect("bob");
      const whoami = async (connection: typeof a) =>
        textOf(await connection.client.callTool({ name: "up_whoami", arguments: {} }));
      const seen: string[] = [];
      for (const connection of [a, b, c]) {
        const first = await whoami(connection);
        assert.equal(await whoami(connection), first, "reused within a downstream session");
        assert.equal(await whoami(connection), first);
        seen.push(first);
      }
      assert.equal(new Set(seen).size, 3, `three upstream sessions: ${seen}`);
      assert.equal(
        fixture.upstream.record.initializes,
        discovery + 3,
        "one upstream initialize per downstream session",
      );
      // Upstream state follows the downstream session: alice's two counters are apart.
      const increment = async (connection: typeof a) =>
        textOf(await connection.client.callTool({ name: "up_increment", arguments: {} }));
      assert.equal(await increment(a), "1");
      assert.equal(await increment(a), "2");
      assert.equal(await increment(b), "1", "B does not see A's upstream state");
      assert.deepEqual(fixture.gateway.stats(), {
        upstreamSessions: 3,
        upstreamSessionsOpened: 3,
        upstreamProcesses: 0,
        subscriptionStreams: 0,
        relaysDropped: 0,
        unavailable: [],
      });

      const authorizations = new Set(fixture.upstream.record.authorizations);
      for (const value of authorizations) {
        assert.ok(!value.includes("down-"), `a downstream token reached the upstream: ${value}`);
      }
      assert.deepEqual(
        [...authorizations].sort(),
        ["Bearer up-alice", "Bearer up-bob", "Bearer up-gateway"],
        "the upstream got the credentials hook's headers",
      );

      // DELETE ends A's upstream session, and only A's.
      await a.transport.terminateSession();
      await waitFor(
        () => !fixture.upstream.record.live.has(seen[0]),
        "A's upstream session closed",
      );
      assert.ok(fixture.upstream.record.live.has(seen[1]));
      assert.equal(await whoami(b), seen[1]);
      await waitFor(() => fixture.gateway.stats().upstreamSessions === 2, "the place given back");
    } finally {
      await fixture.close();
    }
    assert.equal(fixture.upstream.record.live.size, 0, "shutdown closed every upstream session");
  });

  it("lists the upstream's tools, prompts and resources under its namespace", async () => {
    const fixture = await startGateway();
    try {
      const a = await fixture.connect("alice");
      const tools = (await a.client.listTools()).tools.map((tool) => tool.name);
      assert.ok(tools.includes("up_whoami") && tools.includes("up_echo"), String(tools));
      const echo = (await a.client.listTools()).tools.find((tool) => tool.name === "up_echo")!;
      assert.deepEqual(echo.inputSchema.required, ["text"]);
      assert.equal(
        textOf(await a.client.callTool({ name: "up_echo", arguments: { text: "hi" } })),
        "hi",
      );
      const prompts = (await a.client.listPrompts()).prompts.map((prompt) => prompt.name);
      assert.deepEqual(prompts.sort(), ["up_greet", "up_travel"]);
      const prompt = await a.client.getPrompt({ name: "up_greet", arguments: { name: "Ada" } });
      assert.deepEqual(prompt.messages[0].content, { type: "text", text: "Hello Ada" });
      const resources = (await a.client.listResources()).resources;
      assert.deepEqual(resources.map((resource) => [resource.uri, resource.name]), [
        ["memo://motd", "up_motd"],
      ]);
      const read = await a.client.readResource({ uri: "memo://motd" });
      assert.equal((read.contents[0] as { text: string }).text, "be kind");
    } finally {
      await fixture.close();
    }
  });

  it("an HTTP upstream killed mid-call fails the call and closes that upstream session", async () => {
    const fixture = await startGateway();
    try {
      const a = await fixture.connect("alice");
      const started = new Promise<void>((resolve) =>
        fixture.upstream.record.slowStarted.push(resolve)
      );
      const call = a.client.callTool({ name: "up_slow", arguments: {} });
      await started;
      await fixture.upstream.close();
      const result = await call;
      assert.equal(result.isError, true, JSON.stringify(result));
      assert.match(textOf(result), /^Upstream "up"/);
      await waitFor(() => fixture.gateway.stats().upstreamSessions === 0, "its place given back");
    } finally {
      await fixture.close();
    }
  });

  it("an upstream message over maxMessageBytes fails the call and ends that upstream session", async () => {
    const fixture = await startGateway({}, {}, { maxMessageBytes: 8_192 });
    try {
      const a = await fixture.connect("alice");
      const first = textOf(await a.client.callTool({ name: "up_whoami", arguments: {} }));
      const small = await a.client.callTool({
        name: "up_echo",
        arguments: { text: "x".repeat(4_000) },
      });
      assert.equal(textOf(small), "x".repeat(4_000), "under the limit: relayed");
      const big = await a.client.callTool({
        name: "up_echo",
        arguments: { text: "x".repeat(10_000) },
      });
      assert.equal(big.isError, true, JSON.stringify(big).slice(0, 200));
      assert.match(textOf(big), /^Upstream "up"/);
      const after = textOf(await a.client.callTool({ name: "up_whoami", arguments: {} }));
      assert.notEqual(after, first, "the upstream session was ended and a new one opened");
    } finally {
      await fixture.close();
    }
  });
});
