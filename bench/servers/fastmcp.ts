/**
 * fastmcp 4.20 (`fastmcp`): `FastMCP` with the echo tool (zod parameters),
 * started as its README shows with `transportType: "httpStream"` on
 * 127.0.0.1:`--port` and endpoint `/mcp`. fastmcp listens itself (mcp-proxy's
 * `node:http` server around the official SDK v1 transport, sessionful, SSE
 * answers by default), so this file does not go through examples/serve.ts
 * and has no `/__bench/` admin routes: it serves the steady and init
 * workloads only. Its own logger is silenced (it would print a line per
 * session); its defaults otherwise. 2025 revisions only.
 */

import { FastMCP } from "fastmcp";
import * as z from "zod";
import { printReady, serverArgs } from "./common.ts";

const quiet = () => {};
const server = new FastMCP({
  name: "bench-fastmcp",
  version: "1.0.0",
  logger: { debug: quiet, error: quiet, info: quiet, log: quiet, warn: quiet },
});
server.addTool({
  name: "echo",
  description: "Echoes its input",
  parameters: z.object({ text: z.string() }),
  execute: ({ text }) => Promise.resolve(text),
});

const port = Number(serverArgs().port ?? 0);
await server.start({
  transportType: "httpStream",
  httpStream: { port, host: "127.0.0.1", endpoint: "/mcp" },
});
printReady(port);
