/**
 * The cross-instance flows the Postgres rigs (PgBouncer, a promoted standby, faults) run on
 * pairs of instances, and the handler that wires every store a Postgres backend has: a store
 * added to the backend is added here in one line, and every rig then carries it. Not a test
 * file itself.
 * @module
 */

import assert from "node:assert/strict";
import { defineTool, type McpHandler, type Principal } from "../../../mod.ts";
import type { PostgresBackend } from "../../../src/postgres/postgres_backend.ts";
import { bodilessRequest, initialize, makeHandler, rpc, type TestSession } from "../../helpers.ts";

/** Counts in `ctx.session` state: what another instance must see. */
export const increment = defineTool({
  name: "increment",
  handler: async (_input, ctx) =>
    String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1)),
});

/** Requests per principal per hour the flows' handlers allow (one budget across instances). */
export const RATE_LIMIT = 8;

/**
 * An instance: a handler on every store of `backend` (sessions, rate limits), callers named by
 * the `x-user` header or a bearer token (the token is the name: an SDK client's `token`).
 */
export function handlerOn(
  backend: PostgresBackend,
  options: Partial<Parameters<typeof makeHandler>[0]> = {},
): McpHandler {
  return makeHandler({
    tools: [increment],
    auth: {
      authenticate: (request): Principal | undefined => {
        const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
        const user = request.headers.get("x-user") ?? bearer;
        return user === undefined ? undefined : { id: user };
      },
    },
    ...options,
    sessions: { ...options.sessions, store: backend.sessionStore },
    limits: {
      rateLimits: {
        perPrincipal: { limit: RATE_LIMIT, windowSeconds: 3_600 },
        store: backend.rateLimitStore,
      },
      ...options.limits,
    },
  });
}

/** `increment` on `session` at `handler`: its text, or the status when not 200. */
export async function count(handler: McpHandler, session: TestSession): Promise<string> {
  const outcome = await rpc(handler, session, "tools/call", { name: "increment" });
  return outcome.status === 200 ? outcome.message.result.content[0].text : `${outcome.status}`;
}

/** A flow across two instances; `user` is a principal no other flow of the run uses. */
export interface Flow {
  readonly name: string;
  run(a: McpHandler, b: McpHandler, user: string): Promise<void>;
}

/** Every flow the rigs run: one line per store. */
export const FLOWS: readonly Flow[] = [
  {
    name: "a session and its state are served by either instance; owner binding; DELETE",
    async run(a, b, user) {
      const session = await initialize(a, { headers: { "x-user": user } });
      const counts = [];
      for (const handler of [b, a, b]) counts.push(await count(handler, session));
      assert.deepEqual(counts, ["1", "2", "3"]);
      const stranger = { ...session, headers: { "x-user": `${user}-stranger` } };
      assert.equal(await count(b, stranger), "403", "owner binding on the other instance");
      const deleted = await b(bodilessRequest("DELETE", {
        sessionId: session.id,
        protocolVersion: session.protocolVersion,
        headers: session.headers,
      }));
      await deleted.body?.cancel();
      assert.equal(deleted.status, 204);
      assert.equal(await count(a, session), "404", "ended for the other instance too");
    },
  },
  {
    name: "one rate-limit budget is spent across both instances",
    async run(a, b, user) {
      const session = await initialize(b, { headers: { "x-user": user } });
      const statuses: string[] = [];
      for (let i = 0; i < RATE_LIMIT; i++) statuses.push(await count(i % 2 === 0 ? a : b, session));
      // The initialize spent one unit: RATE_LIMIT - 1 calls, then both refuse.
      const served = Array.from({ length: RATE_LIMIT - 1 }, (_, i) => String(i + 1));
      assert.deepEqual(statuses.slice(0, RATE_LIMIT - 1), served);
      assert.equal(statuses[RATE_LIMIT - 1], "429");
      assert.equal(await count(b, session), "429");
    },
  },
];

/** Runs every flow on `a` and `b`, each with a principal of its own (`prefix` + index). */
export async function runFlows(a: McpHandler, b: McpHandler, prefix: string): Promise<void> {
  for (const [index, flow] of FLOWS.entries()) {
    try {
      await flow.run(a, b, `${prefix}-${index}`);
    } catch (error) {
      throw new Error(`flow "${flow.name}" failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
