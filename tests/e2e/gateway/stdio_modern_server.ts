/**
 * A tether server over stdio (`serveStdio`: both eras) for the gateway's
 * 2026-07-28 stdio tests. Each process answers for itself: `pid` its id,
 * `methods` every method it was sent (so a test sees there was no
 * `initialize`), `token` the UPSTREAM_TOKEN it was started with, `aborted`
 * how many calls of `slow` saw their signal fire. `steps` sends `n`
 * progress notifications tagged `tag`, then answers `tag`; `ask` elicits a
 * name; `log` writes one log message; `slow` sends progress and waits for
 * its signal; `die` exits mid-call. When the file CHANGE_FILE names appears, the process adds the
 * tool `added` (a list change on its listen stream). Not a test file.
 */

import { existsSync } from "node:fs";
import process from "node:process";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import { serveStdio } from "../../../src/adapters/stdio.ts";

const methods: string[] = [];
let aborted = 0;
const handler = createMcpHandler({
  name: "stdio-modern",
  version: "1.0.0",
  tools: [
    defineTool({ name: "pid", handler: () => String(process.pid) }),
    defineTool({ name: "methods", handler: () => JSON.stringify(methods) }),
    defineTool({ name: "token", handler: () => process.env.UPSTREAM_TOKEN ?? "" }),
    defineTool({ name: "aborted", handler: () => String(aborted) }),
    defineTool({
      name: "steps",
      input: {
        type: "object",
        properties: { n: { type: "number" }, tag: { type: "string" } },
        required: ["n", "tag"],
      },
      handler: async (input, ctx) => {
        const [n, tag] = [Number(input.n), String(input.tag)];
        for (let step = 1; step <= n; step++) {
          await ctx.progress(step, n, tag);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        return tag;
      },
    }),
    defineTool({
      name: "ask",
      handler: async (_input, ctx) => {
        const answer = await ctx.elicit({
          message: "Your name?",
          requestedSchema: {
            type: "object",
            properties: { name: { type: "string" } },
            required: ["name"],
          },
        });
        return `${answer.action}:${String(answer.content?.name ?? "")}`;
      },
    }),
    defineTool({
      name: "log",
      handler: async (_input, ctx) => {
        await ctx.log("info", "logged");
        return "ok";
      },
    }),
    defineTool({
      name: "die",
      handler: () => {
        setTimeout(() => process.exit(3), 10);
        return new Promise<string>(() => {});
      },
    }),
    defineTool({
      name: "slow",
      handler: async (_input, ctx) => {
        await ctx.progress(1, 2, "halfway");
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) return resolve();
          ctx.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        aborted++;
        return "stopped";
      },
    }),
  ],
  observe: { onError: () => {} },
});

const changeFile = process.env.CHANGE_FILE;
if (changeFile !== undefined) {
  const timer = setInterval(() => {
    if (!existsSync(changeFile)) return;
    clearInterval(timer);
    handler.tools.add(defineTool({ name: "added", handler: () => "new" }));
  }, 50);
  (timer as { unref?(): void }).unref?.();
}

/** The handler, noting the JSON-RPC method of every POST it serves. */
const recording = new Proxy(handler, {
  apply: async (target, _this, [request]: [Request]) => {
    if (request.method === "POST") {
      const body = await request.clone().json().catch(() => undefined) as
        | { method?: unknown }
        | undefined;
      if (typeof body?.method === "string") methods.push(body.method);
    }
    return await target(request);
  },
}) as McpHandler;

await serveStdio(recording, { onError: () => {} });
process.exit(0);
