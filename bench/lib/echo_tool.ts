/**
 * The echo tool every tether bench server (and bench/lab/micro.ts) serves: a
 * zod-checked `{ text }` answered as its text, the call the steady and
 * scaling workloads make.
 */

import * as z from "zod";
import { defineTool } from "../../mod.ts";

/** `echo { text }` → `text`. */
export const echoTool = defineTool({
  name: "echo",
  description: "Echoes its input",
  input: z.object({ text: z.string() }),
  handler: ({ text }) => text,
});
