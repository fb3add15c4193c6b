/**
 * A complete tether server on Node (22.18 or later: it runs the TypeScript
 * directly), through `serve` from `@tether/mcp/node`: one tool, `countdown`,
 * that asks the user to confirm (elicitation) and reports each step
 * (progress).
 *
 * Start it (from the repository root):
 *   npm run example:node                 (= node_modules/node24/bin/node examples/node/server.ts)
 * Connect the MCP Inspector (Node >= 22.19 on PATH), in another terminal:
 *   npx -y @modelcontextprotocol/inspector@2 --cli http://127.0.0.1:8787/mcp --method tools/call --tool-name countdown --tool-arg from=3
 *   npx -y @modelcontextprotocol/inspector@2   (the web UI: transport "Streamable HTTP", the URL above)
 * The Inspector CLI declares no elicitation, so the tool runs unconfirmed there.
 *
 * Environment: PORT (default 8787; 0 picks a free port). Listens on 127.0.0.1
 * and prints the MCP endpoint's URL. In your own project, import from
 * "@tether/mcp" and "@tether/mcp/node" (`npx jsr add @tether/mcp`) instead of
 * "../../mod.ts" and "../../src/adapters/node.ts".
 */

import process from "node:process";
import * as z from "zod";
import { createMcpHandler, defineTool } from "../../mod.ts";
import { serve } from "../../src/adapters/node.ts";

/** Waits `ms`, or rejects when `signal` aborts (the client cancelled, the session ended). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

const countdown = defineTool({
  name: "countdown",
  description: "Counts down to liftoff, one step every 200 ms, after the user confirms",
  input: z.object({ from: z.number().int().min(1).max(10).default(3) }),
  handler: async ({ from }, ctx) => {
    let note = "";
    // Ask only a client that can show a form; others get the countdown unconfirmed.
    if (ctx.clientCapabilities.elicitation !== undefined) {
      const answer = await ctx.elicit({
        message: `Start a countdown from ${from}?`,
        requestedSchema: {
          type: "object",
          properties: { confirm: { type: "boolean", title: "Start the countdown" } },
          required: ["confirm"],
        },
      });
      if (answer.action !== "accept" || answer.content?.confirm !== true) {
        return "Countdown called off.";
      }
    } else {
      note = " (not confirmed: this client cannot ask its user)";
    }
    for (let step = 1; step <= from; step++) {
      await sleep(200, ctx.signal);
      await ctx.progress(step, from, `${from - step}…`);
    }
    return `Liftoff after counting down from ${from}${note}.`;
  },
});

const handler = createMcpHandler({ name: "node-example", version: "1.0.0", tools: [countdown] });

// serve() runs @hono/node-server, which passes client disconnects on to the handler.
const server = serve(handler, { hostname: "127.0.0.1", port: Number(process.env.PORT ?? 8787) });
console.log(`tether on Node: ${await server.url}/mcp`);
// Ctrl-C: end the sessions (their tools' ctx.signal aborts), then the listener.
process.once("SIGINT", () => void server.close().then(() => process.exit(0)));
