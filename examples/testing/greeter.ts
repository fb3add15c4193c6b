/**
 * A server with one tool that asks the user's name when it is not given
 * (`ctx.elicit`) and reports progress; `greeter_test.ts` beside it tests it
 * in process with `@tether/mcp/testing`, in both protocol eras.
 * @module
 */

import { createMcpHandler, defineTool, type McpHandler } from "../../mod.ts";
import * as z from "zod";

/** The server: `greet` says hello, asking for the name when the input has none. */
export function createGreeter(): McpHandler {
  return createMcpHandler({
    name: "greeter",
    version: "1.0.0",
    tools: [defineTool({
      name: "greet",
      input: z.object({ name: z.string().optional() }),
      handler: async ({ name }, ctx) => {
        await ctx.progress(1, 2, "looking up the name");
        const who = name ?? (await ctx.elicit({
          message: "What is your name?",
          requestedSchema: { type: "object", properties: { name: { type: "string" } } },
        })).content?.name;
        return `Hello, ${who}!`;
      },
    })],
  });
}
