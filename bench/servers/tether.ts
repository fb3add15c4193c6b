/**
 * tether: `createMcpHandler` with the echo tool (zod schema), the progress
 * tool, the large tools (a 256 KiB text result; `large-1m`, 1 MiB) and the ticker tool (one
 * progress notification a second). Default options (owner binding on, Host/Origin checks on,
 * responseMode auto) unless the driver passes:
 *   --mode sse|json|auto    responseMode
 *   --max-sessions N        sessions.maxSessions (session-creation, memory and
 *                           scaling workloads only: the default cap is 10,000)
 *   --max-listen-streams N  maxListenStreams (bench/lab/fd_limit.ts)
 */

import { createMcpHandler, defineTool, type ResponseMode } from "../../mod.ts";
import { echoTool } from "../lib/echo_tool.ts";
import { progressTool, tickerTool } from "../lib/stream_tools.ts";
import { LARGE_1M_TEXT, LARGE_TEXT } from "../lib/protocol.ts";
import { serverArgs, startBenchServer } from "./common.ts";

const args = serverArgs();
const mode = (args.mode ?? "auto") as ResponseMode;
const maxSessions = args["max-sessions"] === undefined ? undefined : Number(args["max-sessions"]);
const maxListenStreams = args["max-listen-streams"] === undefined
  ? undefined
  : Number(args["max-listen-streams"]);

const handler = createMcpHandler({
  name: "bench-tether",
  version: "1.0.0",
  streams: {
    responseMode: mode,
  },
  ...(maxSessions === undefined ? {} : { sessions: { maxSessions } }),
  ...(maxListenStreams === undefined ? {} : { stateless: { maxListenStreams } }),
  tools: [
    echoTool,
    defineTool({
      name: "confirm",
      description:
        "Asks the user to confirm (one elicitation: an input_required round trip in 2026-07-28)",
      handler: async (_input, ctx) => {
        const answer = await ctx.elicit({
          message: "Go on?",
          requestedSchema: { type: "object", properties: {} },
        }, { key: "confirm" });
        return answer.action === "accept" ? "confirmed" : "declined";
      },
    }),
    progressTool,
    tickerTool,
    defineTool({
      name: "large",
      description: "Answers with a 256 KiB text",
      handler: () => LARGE_TEXT,
    }),
    defineTool({
      name: "large-1m",
      description: "Answers with a 1 MiB text",
      handler: () => LARGE_1M_TEXT,
    }),
  ],
});

await startBenchServer({ fetch: handler, sessions: async () => (await handler.stats()).sessions });
