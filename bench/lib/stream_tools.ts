/**
 * The streaming tools the tether bench servers serve (bench/servers/tether.ts, and in process
 * bench/lab/idle_heap.ts and bench/lab/allocations.ts): the progress workload's tool and the idle
 * streams' ticker, one definition each.
 */

import * as z from "zod";
import { defineTool } from "../../mod.ts";
import { PROGRESS_COUNT } from "./protocol.ts";

/** `progress {}`: {@linkcode PROGRESS_COUNT} progress notifications, then `"done"`. */
export const progressTool = defineTool({
  name: "progress",
  description: `Emits ${PROGRESS_COUNT} progress notifications, then answers`,
  input: z.object({}),
  handler: async (_input, ctx) => {
    for (let i = 1; i <= PROGRESS_COUNT; i++) await ctx.progress(i, PROGRESS_COUNT);
    return "done";
  },
});

/** `ticker { seconds }`: one progress notification a second for `seconds` seconds, then `"ticked"`. */
export const tickerTool = defineTool({
  name: "ticker",
  description: "One progress notification a second for `seconds` seconds, then answers",
  input: z.object({ seconds: z.number().int().positive() }),
  handler: async ({ seconds }, ctx) => {
    for (let i = 1; i <= seconds; i++) {
      await ctx.progress(i, seconds);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return "ticked";
  },
});
