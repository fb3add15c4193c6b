/**
 * A small server over stdio for the tests: `chatty` logs to every console
 * method that writes to stdout, `wait` blocks until its signal aborts and
 * then says so on stderr, `whoami` names the principal,
 * `test_tool_with_progress` reports 0, 50 and 100 (as examples/everything.ts's
 * does) and returns at once after the last. Not a test file.
 * STDIO_PRINCIPAL, when set, is the principal every message comes from;
 * STDIO_PROGRESS_PACE_MS sets `progressPaceMs`.
 * @module
 */

import process from "node:process";
import { attachedPrincipal, createMcpHandler, defineTool, isAnonymous } from "../../../mod.ts";
import { serveStdio } from "../../../src/adapters/stdio.ts";

const principalId = process.env.STDIO_PRINCIPAL;
const handler = createMcpHandler({
  name: "stdio-fixture",
  version: "1.0.0",
  tools: [
    defineTool({
      name: "chatty",
      handler: () => {
        console.log("log noise");
        console.info("info noise");
        console.debug("debug noise");
        console.dir({ dir: "noise" });
        console.table([{ table: "noise" }]);
        return "chatted";
      },
    }),
    defineTool({
      name: "wait",
      handler: (_input, ctx) =>
        new Promise<string>((_resolve, reject) => {
          console.error("wait started");
          ctx.signal.addEventListener("abort", () => {
            console.error("wait aborted");
            reject(new Error("cancelled"));
          }, { once: true });
        }),
    }),
    defineTool({
      name: "test_tool_with_progress",
      handler: async (_input, ctx) => {
        for (const step of [0, 50, 100]) {
          if (step > 0) await new Promise((resolve) => setTimeout(resolve, 20));
          await ctx.progress(step, 100);
        }
        return "Tool with progress executed successfully";
      },
    }),
    defineTool({
      name: "whoami",
      handler: (_input, ctx) => isAnonymous(ctx.principal) ? "anonymous" : ctx.principal.id,
    }),
  ],
  ...(principalId === undefined ? {} : { auth: { authenticate: attachedPrincipal } }),
});
await serveStdio(handler, {
  drainMs: Number(process.env.STDIO_DRAIN_MS ?? 5_000),
  ...(process.env.STDIO_PROGRESS_PACE_MS === undefined
    ? {}
    : { progressPaceMs: Number(process.env.STDIO_PROGRESS_PACE_MS) }),
  ...(principalId === undefined ? {} : { principal: { id: principalId } }),
});
console.error("stdio served");
process.exit(0);
