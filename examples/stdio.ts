/**
 * examples/everything.ts's server over stdio with `@tether/mcp/stdio`: the
 * same tools, prompts and resources, for a desktop client, an IDE or a
 * gateway that runs it as a subprocess (see docs/clients.md). Both eras:
 * a 2025 client's `initialize` opens one session for the life of the
 * process; 2026-07-28 requests carry their envelope. stdout carries only
 * JSON-RPC; logs go to stderr. Stops when stdin closes or on SIGTERM/SIGINT.
 *   node examples/stdio.ts    deno run -A examples/stdio.ts    bun examples/stdio.ts
 */

import process from "node:process";
import { serveStdio } from "../src/adapters/stdio.ts";
import { createEverythingHandler } from "./everything.ts";

await serveStdio(createEverythingHandler(process.env));
process.exit(0);
