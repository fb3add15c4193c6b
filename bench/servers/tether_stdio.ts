/**
 * The stdio upstream of bench/gateway_cost.ts: tether's echo tool (the one
 * bench/servers/tether.ts serves over HTTP) served over stdio with
 * `serveStdio`, both eras. No port and no READY line: the gateway (or the
 * driver, for the direct rows) runs it as a subprocess and speaks JSON-RPC
 * lines on its stdin and stdout. Stops when stdin closes.
 */

import { createMcpHandler } from "../../mod.ts";
import { serveStdio } from "../../src/adapters/stdio.ts";
import { echoTool } from "../lib/echo_tool.ts";

await serveStdio(
  createMcpHandler({ name: "bench-tether-stdio", version: "1.0.0", tools: [echoTool] }),
);
(globalThis as { process?: { exit(code: number): void } }).process?.exit(0);
