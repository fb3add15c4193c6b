/**
 * 2026-07-28 in `responseMode: "json"`: no stream can tell that a client
 * left, so the request's own signal does. A call whose client hangs up is
 * cancelled (its `ctx.signal` aborts with `client-gone`), as the revision
 * says of a dropped connection. Not on Deno: `Deno.serve` (2.9) does not
 * abort `request.signal` while no response has started for bodies of a few
 * hundred bytes (a 2026-07-28 request always is: its envelope), so there is
 * nothing to hear; `auto` mode's stream after a moment is the way there.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool, type HandlerContext } from "../../../mod.ts";
import { abortReason, deferred, until } from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";
import { withServer } from "./helpers.ts";

describe("2026-07-28, responseMode json", () => {
  it("a call whose client hangs up has its signal aborted (client-gone)", async (t) => {
    if ("Deno" in globalThis) {
      return t.skip("Deno.serve does not abort request.signal before a response starts");
    }
    const contexts: HandlerContext[] = [];
    const never = deferred();
    const waiting = defineTool({
      name: "wait",
      handler: async (_input, ctx) => {
        contexts.push(ctx);
        await never.promise;
        return "done";
      },
    });
    await withServer({ tools: [waiting], streams: { responseMode: "json" } }, async (server) => {
      server.defer(() => never.resolve());
      const shape = modernRequest("tools/call", { name: "wait", arguments: {} });
      const client = new AbortController();
      const answer = fetch(server.url, {
        method: "POST",
        headers: shape.headers,
        body: await shape.text(),
        signal: client.signal,
      }).catch(() => "aborted");
      await until(() => contexts.length === 1, "the tool to start");
      const reason = abortReason(contexts[0].signal, 5_000);
      client.abort();
      assert.equal(await answer, "aborted");
      assert.equal(await reason, "client-gone");
    });
  });
});
