/**
 * examples/everything.ts's server over stdio (examples/stdio_bridge.ts): the
 * same tools, prompts and resources, for a client or gateway that runs it as
 * a subprocess. Its logs go to stderr; stdout carries only JSON-RPC.
 *   node_modules/node24/bin/node examples/everything_stdio.ts
 */

import process from "node:process";
import { createEverythingHandler } from "./everything.ts";
import { serveStdio } from "./stdio_bridge.ts";

console.log = console.error; // stdout is the protocol's
const handler = createEverythingHandler(process.env);
await serveStdio(handler, {
  input: process.stdin,
  write: (line) => process.stdout.write(line + "\n"),
});
process.exit(0);
