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
import { textOf } from "../interop/helpers.ts";
import { startRelayRig as startRig } from "./relay_upstream.ts";

describe("gateway: anonymous callers", () => {
  it("two anonymous 2026-07-28 clients calling at once each get only their own elicitation, sampling and logs", async () => {
    const rig = await startRig();
    try {
      rig.upstream.waitFor = 2;
      const seen = { a: [] as string[], b: [] as string[] };
      const client = (who: "a" | "b") =>
        connect(rig.handler, {
          era: "2026",
          timeoutMs: 60_000,
          handlers: {
            elicitation: (params) => {
              seen[who].push(String(params.message));
              return { action: "accept", content: { name: `name-${who}` } };
            },
            sampling: (params) => {
              const text = (params.messages as { content: { text: string } }[])[0].content.text;
              seen[who].push(text);
              return { role: "assistant", model: "test", content: { type: "text", text: who } };
            },
          },
        });
      const logs = { "io.modelcontextprotocol/logLevel": "debug" };
      const a = await client("a");
      const b = await client("b");
      const [outA, outB] = await Promise.all([
        a.callTool("up_secret", { secret: "A-SECRET" }, { meta: logs }),
        b.callTool("up_secret", { secret: "B-SECRET" }, { meta: logs }),
      ]);
      for (const [who, outcome] of [["a", outA], ["b", outB]] as const) {
        const logs = outcome.messages.filter((m) =>
          "method" in m && m.method === "notifications/message"
        )
          .map((m) => JSON.stringify((m as { params?: unknown }).params));
        seen[who].push(...logs);
      }
      const all = JSON.stringify(seen);
      assert.ok(seen.a.every((text) => !text.includes("B-SECRET")), all);
      assert.ok(seen.b.every((text) => !text.includes("A-SECRET")), all);
      assert.ok(seen.a.some((text) => text.includes("ELICIT for A-SECRET")), all);
      assert.ok(seen.b.some((text) => text.includes("PROMPT of B-SECRET")), all);
      assert.ok(seen.a.some((text) => text.includes("LOG of A-SECRET")), all);
      assert.ok(seen.b.some((text) => text.includes("GLOBAL of B-SECRET")), all);
      assert.equal(textOf(outA.result as never), "name-a|a", "the upstream got A's own answers");
      assert.equal(textOf(outB.result as never), "name-b|b", "the upstream got B's own answers");
      await a.close();
      await b.close();
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
