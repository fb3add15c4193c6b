/**
 * The everything fixture (examples/everything.ts) as a Cloudflare Worker.
 *
 * With a Durable Object bound as `MCP_OBJECT` (class `McpObject`, exported
 * here), every request goes to that one object, which serves the whole
 * handler: both eras, sessions, stream resumption, GET and
 * `subscriptions/listen` streams, elicitation round trips. The object's
 * handler reads the fixture's settings from the Worker's text bindings
 * (SESSION_IDLE_MS, SESSION_MAX, BODY_TIMEOUT_MS, RATE_LIMIT_PER_MINUTE,
 * REQUIRE_HEADER, MAX_CONCURRENT_REQUESTS, MCP_STATE_KEY).
 *
 * Without the binding, the handler created below at module scope serves
 * each request in the Worker's isolate, with the fixture's defaults (a
 * Worker's bindings arrive with its first request; `import { env } from
 * "cloudflare:workers"` reads them at module scope). That serves single
 * requests of both eras, not what one request must write to another's
 * stream: see docs/hosts.md, "Cloudflare Workers". Tasks run on past the
 * call that created them through `waitUntil` (up to Cloudflare's 30 s past
 * the response), polled in the same isolate.
 *
 * scripts/workerd_fixture.sh bundles this file with esbuild and serves it on
 * workerd (npm `workerd`) at 127.0.0.1:$PORT/mcp.
 */

// Keeps a task running past the response that created it, in the isolate (tasksExtension's keepAlive).
import { waitUntil } from "cloudflare:workers";
import {
  type DurableObjectNamespaceLike,
  mcpDurableObject,
  routeToDurableObject,
} from "../../src/adapters/cloudflare.ts";
import { createEverythingHandler, type EverythingEnv } from "../everything.ts";

/** The Worker's bindings: the Durable Object namespace, and the fixture's settings as text. */
export interface WorkerEnv {
  /** The namespace of {@linkcode McpObject}; absent, requests are served in the isolate. */
  MCP_OBJECT?: DurableObjectNamespaceLike;
  /** The fixture's settings (text bindings). */
  [setting: string]: unknown;
}

/** The fixture's settings among the bindings (text ones only). */
function settingsOf(env: WorkerEnv): EverythingEnv {
  const settings: EverythingEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === "string") settings[name] = value;
  }
  return settings;
}

/** The Durable Object that serves the fixture: one handler per object. */
export const McpObject = mcpDurableObject((env: WorkerEnv) =>
  createEverythingHandler(settingsOf(env))
);

// At module scope, as a Worker's top level runs it: construction draws, schedules and fetches nothing.
// A task's work would end with the response of the call that created it: waitUntil keeps it going.
const inIsolate = createEverythingHandler({}, {
  keepTasksAlive: (work) => waitUntil(work),
});

/** The Worker: to the Durable Object when one is bound, else served here. */
export default {
  fetch(request: Request, env: WorkerEnv): Promise<Response> {
    if (env.MCP_OBJECT === undefined) return inIsolate(request);
    return routeToDurableObject(env.MCP_OBJECT)(request);
  },
};
