/**
 * tether as a Next.js App Router route handler (`app/mcp/route.ts`): the
 * handler is the route's `POST`, `GET` and `DELETE` export, as it is, so the
 * MCP endpoint is `/mcp` of the Next.js app. No Next.js is installed here:
 * tests/e2e/examples/nextjs_route_test.ts imports this module and calls its
 * exports with Requests, as Next.js does (with a second, context argument
 * the handler ignores).
 *
 * In your app: `npx jsr add @tether/mcp` (or `pnpm dlx jsr add …`), import
 * from "@tether/mcp" instead of "../../../../mod.ts", and put this file at
 * `app/mcp/route.ts` (`app/api/mcp/route.ts` serves `/api/mcp`: set `path`
 * to match, or `path: null`). Next.js evaluates route modules while it
 * builds; creating the handler there draws, schedules and connects nothing.
 *
 * Each Next.js server process holds its own sessions: behind several
 * instances (serverless functions), use the stateless 2026-07-28 era, or the
 * Redis backend (`@tether/mcp/redis`) so every instance serves every session.
 */

import * as z from "zod";
import { createMcpHandler, defineTool } from "../../../../mod.ts";

const handler = createMcpHandler({
  name: "nextjs-example",
  version: "1.0.0",
  tools: [
    defineTool({
      name: "add",
      description: "Adds two numbers",
      input: z.object({ a: z.number(), b: z.number() }),
      handler: ({ a, b }) => String(a + b),
    }),
  ],
});

/** Requests (JSON-RPC messages) of both eras. */
export const POST = handler;
/** A 2025 session's stream of server messages, or a resumption (`Last-Event-ID`). */
export const GET = handler;
/** Ends a 2025 session. */
export const DELETE = handler;

/** Every request is live: never cached or prerendered. */
export const dynamic = "force-dynamic";
/** The Node.js runtime: one long-lived process holds sessions and streams. */
export const runtime = "nodejs";
