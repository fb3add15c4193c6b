/**
 * The "Writing an extension" example of docs/extensions.md: a small
 * extension of one's own, declared under `capabilities.extensions`, with two
 * methods (one only for clients that declared it), a client notification and
 * a step around every `tools/call`.
 * tests/e2e/examples/readme_extensions_test.ts checks the guide shows this code
 * and drives it.
 * @module
 */

// #region readme
import { createMcpHandler, defineTool } from "../mod.ts";
import type { Extension } from "../src/extensions/mod.ts";

const clock: Extension = {
  id: "com.example/clock",
  settings: { resolution: "ms" }, // advertised as capabilities.extensions["com.example/clock"]
  methods: {
    "clock/now": { handle: () => ({ now: new Date().toISOString() }) },
    // -32021 (naming the extension) unless the client declared com.example/clock.
    "clock/alarm": { requiresNegotiation: true, handle: (params) => ({ set: params.at ?? null }) },
  },
  notifications: {
    "notifications/clock/tick": (params, ctx) => console.log(ctx.principal.id, "ticked", params),
  },
  // Every tools/call passes through here: time it, and say so in the result's _meta.
  aroundToolCall: async (call) => {
    const started = performance.now();
    const result = await call.run();
    const meta = { ...(result._meta as object), "com.example/clock": performance.now() - started };
    return { ...result, _meta: meta };
  },
};

export const handler = createMcpHandler({
  name: "clockwork",
  version: "1.0.0",
  tools: [defineTool({ name: "noon", handler: () => "12:00" })],
  extensions: [clock],
});
// #endregion readme
