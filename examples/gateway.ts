/**
 * A gateway on `@tether/mcp/gateway`: a tether endpoint in front of an
 * upstream MCP server, each downstream session with its own upstream
 * session (ContextForge's rule), the upstream's tools, prompts and
 * resources listed as `<upstream>_<name>`. See docs/gateway.md.
 *
 * Run (any runtime):
 *   node_modules/.bin/deno run -A examples/gateway.ts
 *   node_modules/.bin/bun examples/gateway.ts
 *   node_modules/node24/bin/node examples/gateway.ts
 * Environment:
 *   PORT          where the gateway listens (default 8787)
 *   UPSTREAM_URL  the upstream's Streamable HTTP endpoint
 *   UPSTREAM_PROTOCOL  auto (default: 2026-07-28 requests in 2026-07-28 when the upstream
 *                 serves it, each 2025 session in a 2025 upstream session of its own),
 *                 2026-07-28, 2025
 *   UPSTREAM_STDIO=1  instead: examples/everything.ts's server run as a stdio
 *                 subprocess (examples/stdio.ts): in 2026-07-28 one per principal (every
 *                 anonymous caller together one), for each 2025 session one of its own
 *   REDIS_URL     run as one of several instances (sessions, streams, bus and tasks in Redis;
 *                 each instance opens its own upstream session for a session it serves)
 *   GATEWAY_PINS  a pin file's path: loaded when it exists; otherwise what the upstream
 *                 lists at startup is pinned and written there (trust on first use).
 *                 A tool or prompt that differs from its pin is not listed, its calls
 *                 refused; delete the file to pin again.
 *   GATEWAY_NAMESPACE=none  list the upstream's entries under their own names (one
 *                 upstream only), as the conformance suite calls them; scripts/conformance.sh
 *                 runs the suite through this gateway in front of examples/everything.ts
 * The gateway serves the tasks extension: each upstream tool keeps its task support.
 *   VIEW          what each principal sees, a GatewayView as JSON (plain objects), e.g.
 *                 {"upstreams":{"upstream":{"deny":["increment"]}}} (docs/gateway.md, Views)
 *   GATEWAY_AUTH=bearer  DEMO ONLY: `Authorization: Bearer <principal>` names the caller,
 *                 unverified, as examples/everything.ts does, so VIEW's `principals` apply.
 *                 Unset: no one is authenticated, every caller is anonymous and sees
 *                 VIEW's endpoint rules only
 * With neither upstream variable it starts a small counter upstream itself.
 * Inspector: npx -y @modelcontextprotocol/inspector@2 --cli http://127.0.0.1:8787/mcp --method tools/list
 */

import { readFile, rename, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  AuthenticationError,
  createMcpHandler,
  defineTool,
  type McpHandler,
  type McpHandlerOptions,
  type Principal,
} from "../mod.ts";
import {
  createGateway,
  type Gateway,
  type GatewayView,
  httpUpstream,
  type Namespace,
  parsePinSet,
  type PinSet,
  stdioUpstream,
  type Upstream,
  type UpstreamProtocol,
} from "../src/gateway/mod.ts";
import { tasksExtension } from "../src/extensions/tasks/mod.ts";
import { serveHandler } from "./serve.ts";

/**
 * A small upstream: a counter per (upstream) session. Sessions are a 2025
 * revision's, so it serves only those (the gateway falls back to them).
 */
export function createUpstreamHandler(): McpHandler {
  return createMcpHandler({
    name: "upstream",
    version: "1.0.0",
    eras: { modern: false },
    tools: [defineTool({
      name: "increment",
      description: "Counts calls in this (upstream) session",
      handler: async (_input, ctx) =>
        String(await ctx.session!.update<number>("n", (n) => (n ?? 0) + 1)),
    })],
  });
}

/** The upstream the environment names. */
export function upstreamFromEnv(env: Record<string, string | undefined>): Upstream {
  const protocol = env.UPSTREAM_PROTOCOL || "auto";
  if (!PROTOCOLS.includes(protocol as UpstreamProtocol)) {
    throw new TypeError(`UPSTREAM_PROTOCOL: one of ${PROTOCOLS.join(", ")}, got ${protocol}`);
  }
  if (env.UPSTREAM_STDIO === "1") {
    const file = fileURLToPath(new URL("./stdio.ts", import.meta.url));
    const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
    const runtime = (globalThis as { process?: { execPath: string } }).process?.execPath;
    return stdioUpstream({
      name: "everything",
      command: deno?.execPath() ?? runtime!,
      args: deno === undefined ? [file] : ["run", "-A", file],
      stderr: "ignore",
      protocol: protocol as UpstreamProtocol,
    });
  }
  if (env.UPSTREAM_URL === undefined) throw new TypeError("Set UPSTREAM_URL or UPSTREAM_STDIO=1");
  return httpUpstream({
    name: "upstream",
    url: env.UPSTREAM_URL,
    protocol: protocol as UpstreamProtocol,
  });
}

/** The revisions `UPSTREAM_PROTOCOL` may name. */
const PROTOCOLS: readonly UpstreamProtocol[] = ["auto", "2026-07-28", "2025"];

/** The pin set in `path`; undefined when there is no such file yet. */
export async function readPinFile(path: string): Promise<PinSet | undefined> {
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
  return parsePinSet(JSON.parse(text));
}

/** Writes `set` to `path` whole (a temporary file renamed over it). */
export async function writePinFile(path: string, set: PinSet): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(set, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** The names the environment asks for: `GATEWAY_NAMESPACE=none` keeps the upstream's own. */
export function namespaceFromEnv(env: Record<string, string | undefined>): Namespace | undefined {
  const namespace = env.GATEWAY_NAMESPACE;
  if (namespace === undefined || namespace === "") return undefined;
  if (namespace === "none") return (_upstream, name) => name;
  throw new TypeError(`GATEWAY_NAMESPACE: expected "none", got ${JSON.stringify(namespace)}`);
}

/**
 * DEMO AUTH ONLY — never use this in production: the bearer token itself
 * becomes the principal id, unverified (as examples/everything.ts does).
 * `Authorization: Bearer <token>` → principal `{ id: <token> }`; no header →
 * anonymous; any other Authorization header → 401.
 */
export function demoBearer(request: Request): Principal | undefined {
  const header = request.headers.get("authorization");
  if (header === null) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) throw new AuthenticationError("Expected Authorization: Bearer <token>");
  return { id: match[1] };
}

/**
 * The authentication `GATEWAY_AUTH` asks for: `bearer` the demo bearer
 * principal; unset, none (every caller anonymous).
 */
export function authFromEnv(
  env: Record<string, string | undefined>,
): Pick<McpHandlerOptions, "auth"> {
  const mode = env.GATEWAY_AUTH;
  if (mode === undefined || mode === "") return {};
  if (mode === "bearer") return { auth: { authenticate: demoBearer } };
  throw new TypeError(`GATEWAY_AUTH: expected "bearer", got ${JSON.stringify(mode)}`);
}

/** What the example's environment asks of its gateway besides the upstream. */
export interface GatewaySettings {
  /** A pin file: loaded, or (no file yet) pinned from the first read and written there. */
  pinFile?: string;
  /** The names of upstream entries (`GATEWAY_NAMESPACE`). */
  namespace?: Namespace;
  /** What each principal sees (`VIEW`). */
  view?: GatewayView;
}

/** The gateway's handler in front of `upstream` (seen through `view`), with its gateway (close both). */
export async function createGatewayHandler(
  upstream: Upstream,
  options: Partial<McpHandlerOptions> = {},
  { pinFile, namespace, view }: GatewaySettings = {},
): Promise<{ handler: McpHandler; gateway: Gateway }> {
  const pinned = pinFile === undefined ? undefined : await readPinFile(pinFile);
  const gateway = await createGateway({
    upstreams: [upstream],
    ...(namespace === undefined ? {} : { namespace }),
    // Served with the tasks extension: each upstream tool keeps its task support.
    tasks: "mirror",
    // One line each (an upstream down at startup, a refused reread, a drift), not a stack.
    onError: (error) => console.error(error instanceof Error ? error.message : String(error)),
    // No set: trust on first use, what the upstream lists at startup is pinned.
    ...(pinFile === undefined ? {} : { pins: { set: pinned } }),
  });
  if (pinFile !== undefined && pinned === undefined) {
    if (gateway.stats().unavailable.length === 0) {
      await writePinFile(pinFile, await gateway.pinSet());
    } else {
      console.error(`Pins not written to ${pinFile}: an upstream was not read at startup`);
    }
  }
  const handler = createMcpHandler({
    name: "gateway",
    version: "1.0.0",
    ...gateway.definitions({ view }),
    extensions: [tasksExtension()],
    ...options,
    auth: {
      ...options.auth,
      // Yours (anonymous callers without one), then the gateway's caps: 429/503 at the door.
      authenticate: gateway.authenticate(options.auth?.authenticate),
    },
  });
  gateway.attach(handler);
  return { handler, gateway };
}

if (
  (import.meta as { main?: boolean }).main ||
  (globalThis as { process?: { argv: string[] } }).process?.argv?.[1]?.endsWith("gateway.ts")
) {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  if (env.UPSTREAM_URL === undefined && env.UPSTREAM_STDIO !== "1") {
    const upstream = await serveHandler(createUpstreamHandler(), 0);
    env.UPSTREAM_URL = `${upstream.url}/mcp`;
  }
  let shared: Partial<McpHandlerOptions> = {};
  if (env.REDIS_URL !== undefined && env.REDIS_URL !== "") {
    const { createRedisBackend } = await import("../src/redis/mod.ts");
    const backend = await createRedisBackend({ url: env.REDIS_URL });
    shared = {
      storage: backend,
      // Tasks in Redis too: any instance answers a task's polls (its work runs where it started).
      extensions: [tasksExtension({ store: backend.taskStore })],
    };
  }
  const { handler, gateway } = await createGatewayHandler(
    upstreamFromEnv(env),
    { ...shared, ...authFromEnv(env) },
    {
      pinFile: env.GATEWAY_PINS === "" ? undefined : env.GATEWAY_PINS,
      namespace: namespaceFromEnv(env),
      view: env.VIEW === undefined ? undefined : JSON.parse(env.VIEW) as GatewayView,
    },
  );
  const server = await serveHandler(
    Object.assign((request: Request) => handler(request), {
      close: async () => {
        await handler.close();
        await gateway.close({ graceMs: 5_000 });
      },
    }),
    Number(env.PORT ?? 8787),
  );
  const behind = env.UPSTREAM_STDIO === "1" ? "a stdio subprocess" : env.UPSTREAM_URL;
  console.log(`gateway on ${server.url}/mcp (upstream: ${behind})`);
}
