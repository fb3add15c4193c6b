/**
 * A small server over stdio for the tests: `chatty` logs to every console
 * method that writes to stdout, `wait` blocks until its signal aborts and
 * then says so on stderr, `whoami` names the principal. Not a test file.
 * STDIO_PRINCIPAL, when set, is the principal every message comes from.
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
      name: "whoami",
      handler: (_input, ctx) => isAnonymous(ctx.principal) ? "anonymous" : ctx.principal.id,
    }),
  ],
  ...(principalId === undefined ? {} : { auth: { authenticate: attachedPrincipal } }),
});
await serveStdio(handler, {
  drainMs: Number(process.env.STDIO_DRAIN_MS ?? 5_000),
  ...(principalId === undefined ? {} : { principal: { id: principalId } }),
});
console.error("stdio served");
process.exit(0);
