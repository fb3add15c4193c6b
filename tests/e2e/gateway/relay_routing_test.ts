/**
 * What an upstream sends goes to the call it belongs to, not the newest
 * one (a hostile SDK upstream over HTTP; tether's testing client, two calls
 * at once in one downstream session): each call's elicitation, sampling
 * request and log ride that call's own response stream; a log the upstream
 * sent on no request's stream while two calls run is dropped and counted.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "../../../src/testing/mod.ts";
import { textOf } from "../interop/helpers.ts";
import { startRelayRig } from "./relay_upstream.ts";

describe("gateway: relays routed by request", () => {
  it("two calls of one session at once each get only what the upstream sent about them", async () => {
    const rig = await startRelayRig();
    try {
      rig.upstream.waitFor = 2;
      // Both calls run until the gateway has taken both session-wide logs (sent on the GET
      // stream, which no ordering ties to a call's own stream): once one call has ended, the
      // other is the only call running, and a session-wide message is then its by rule.
      rig.upstream.answerWhen = () => rig.gateway.stats().relaysDropped >= 2;
      const client = await connect(rig.handler, {
        era: "2025",
        timeoutMs: 60_000,
        headers: { authorization: "Bearer down-alice" },
        handlers: {
          elicitation: (params) => ({
            action: "accept",
            content: { name: String(params.message).replace("ELICIT for ", "") },
          }),
          sampling: (params) => ({
            role: "assistant",
            model: "test",
            content: {
              type: "text",
              text: (params.messages as { content: { text: string } }[])[0].content.text,
            },
          }),
        },
      });
      await client.request("logging/setLevel", { level: "debug" });
      const [a, b] = await Promise.all([
        client.callTool("up_secret", { secret: "A-SECRET" }),
        client.callTool("up_secret", { secret: "B-SECRET" }),
      ]);
      assert.equal(textOf(a.result as never), "A-SECRET|PROMPT of A-SECRET");
      assert.equal(textOf(b.result as never), "B-SECRET|PROMPT of B-SECRET");
      const streamA = JSON.stringify(a.messages);
      const streamB = JSON.stringify(b.messages);
      assert.match(streamA, /ELICIT for A-SECRET/);
      assert.match(streamA, /LOG of A-SECRET/);
      assert.doesNotMatch(streamA, /B-SECRET/);
      assert.match(streamB, /ELICIT for B-SECRET/);
      assert.match(streamB, /LOG of B-SECRET/);
      assert.doesNotMatch(streamB, /A-SECRET/);
      assert.doesNotMatch(streamA + streamB, /GLOBAL of/, "no call's to guess");
      assert.ok(rig.gateway.stats().relaysDropped >= 2, "the session-wide logs counted");
      await client.close();
    } finally {
      await rig.close();
    }
  });
});
