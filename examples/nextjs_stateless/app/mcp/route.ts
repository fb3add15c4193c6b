/**
 * tether as a Next.js App Router route on serverless hosting (Vercel
 * functions, Netlify, Lambda): every instance may be a fresh one, and none
 * shares memory with another, so 2025 clients are served without sessions
 * (`eras: { legacy: "stateless" }`). `initialize` issues no `Mcp-Session-Id`,
 * every POST is served by whichever instance gets it, and GET and DELETE
 * answer `405`; 2026-07-28 clients are stateless anyway. What this gives up
 * (resumption, the listening stream, subscriptions, `ctx.session`) is listed
 * in docs/eras.md, "Stateless 2025 clients".
 *
 * tests/e2e/examples/nextjs_stateless_route_test.ts imports this module and calls
 * its exports as Next.js does. In your app: import from "@tether/mcp" and put
 * this file at `app/mcp/route.ts`.
 */

import * as z from "zod";
import { createMcpHandler, defineTool } from "../../../../mod.ts";

const handler = createMcpHandler({
  name: "nextjs-stateless-example",
  version: "1.0.0",
  eras: { legacy: "stateless" },
  tools: [
    defineTool({
      name: "add",
      description: "Adds two numbers, reporting progress",
      input: z.object({ a: z.number(), b: z.number() }),
      handler: async ({ a, b }, ctx) => {
        await ctx.progress(1, 1);
        return String(a + b);
      },
    }),
  ],
});

/** Requests (JSON-RPC messages) of both eras, each served on its own. */
export const POST = handler;
/** `405`: there is no listening stream without a session. */
export const GET = handler;
/** `405`: there is no session to end. */
export const DELETE = handler;

/** Every request is live: never cached or prerendered. */
export const dynamic = "force-dynamic";
