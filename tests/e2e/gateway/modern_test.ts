/**
 * The gateway to 2026-07-28 clients (no sessions; tether's testing client
 * in that era, in process; an SDK upstream over HTTP): calls of one
 * principal share one upstream session, another principal gets its own;
 * progress reaches the client; elicitation, sampling and roots from the
 * upstream answered by the client (however the era carries them); a call
 * cancelled downstream (the client drops it) aborts the upstream tool.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "../../../src/testing/mod.ts";
import { waitFor } from "../interop/helpers.ts";
import { startGateway } from "./fixture.ts";

const textOf = (result: { content: unknown[] }) => (result.content[0] as { text: string }).text;

describe("gateway to 2026-07-28 clients", () => {
  it("one upstream session per principal, shared by its requests", async () => {
    const fixture = await startGateway();
    try {
      const alice = await connect(fixture.handler, {
        era: "2026",
        headers: { authorization: "Bearer down-alice" },
      });
      const alice2 = await connect(fixture.handler, {
        era: "2026",
        headers: { authorization: "Bearer down-alice" },
      });
      const bob = await connect(fixture.handler, {
        era: "2026",
        headers: { authorization: "Bearer down-bob" },
      });
      const a = textOf((await alice.callTool("up_whoami")).result);
      assert.equal(textOf((await alice2.callTool("up_whoami")).result), a, "per principal");
      const b = textOf((await bob.callTool("up_whoami")).result);
      assert.notEqual(a, b, "never across principals");
      assert.equal(fixture.upstream.record.initializes, 3, "discovery + one per principal");
      const authorizations = fixture.upstream.record.authorizations;
      assert.ok(authorizations.every((value) => !value.includes("down-")), String(authorizations));
      await alice.close();
      await alice2.close();
      await bob.close();
    } finally {
      await fixture.close();
    }
  });

  it("elicitation, sampling and roots from the upstream are answered by the client", async () => {
    const fixture = await startGateway();
    try {
      const client = await connect(fixture.handler, {
        era: "2026",
        headers: { authorization: "Bearer down-alice" },
        handlers: {
          elicitation: () => ({ action: "accept", content: { name: "Ada" } }),
          sampling: () => ({
            role: "assistant",
            model: "test",
            content: { type: "text", text: "sampled" },
          }),
          roots: [{ uri: "file:///work" }],
        },
      });
      const asked = await client.callTool("up_ask");
      assert.equal(textOf(asked.result), "accept:Ada", JSON.stringify(asked.result));
      assert.equal(textOf((await client.callTool("up_sample")).result), "sampled");
      assert.equal(textOf((await client.callTool("up_roots")).result), "file:///work");
      await client.close();
    } finally {
      await fixture.close();
    }
  });

  it("each request's own capabilities reach the upstream, never another request's", async () => {
    const fixture = await startGateway();
    try {
      const headers = { authorization: "Bearer down-alice" };
      const bare = await connect(fixture.handler, { era: "2026", headers });
      // A request that declares no sampling: the upstream refuses it itself, relayed as sent.
      const refused = (await bare.callTool("up_sample")).result;
      assert.equal(refused.isError, true, JSON.stringify(refused));
      // A request of the same principal that declares it gets an upstream session that does.
      const sampling = await connect(fixture.handler, {
        era: "2026",
        headers,
        handlers: {
          sampling: () => ({
            role: "assistant",
            model: "test",
            content: { type: "text", text: "sampled" },
          }),
        },
      });
      assert.equal(textOf((await sampling.callTool("up_sample")).result), "sampled");
      // And each kind of request keeps reusing its own.
      assert.equal((await bare.callTool("up_sample")).result.isError, true);
      assert.equal(textOf((await sampling.callTool("up_sample")).result), "sampled");
      assert.equal(fixture.upstream.record.initializes, 3, "discovery + one per capability set");
      await bare.close();
      await sampling.close();
    } finally {
      await fixture.close();
    }
  });

  it("progress reaches the client; dropping the call aborts the upstream tool's signal", async () => {
    const fixture = await startGateway();
    try {
      const client = await connect(fixture.handler, {
        era: "2026",
        headers: { authorization: "Bearer down-alice" },
      });
      const controller = new AbortController();
      const progress: unknown[] = [];
      const call = client.callTool("up_slow", {}, {
        signal: controller.signal,
        onProgress: (update) => {
          progress.push([update.progress, update.total, update.message]);
          controller.abort();
        },
      });
      await assert.rejects(call);
      assert.deepEqual(progress, [[1, 2, "halfway"]]);
      await waitFor(
        () => fixture.upstream.record.aborted === 1,
        "the upstream tool's signal aborted",
      );
      await client.close();
    } finally {
      await fixture.close();
    }
  });
});
