/**
 * stdio upstreams: an MCP server run as a subprocess per upstream session
 * (newline-delimited JSON-RPC on its stdin/stdout), in its own process group
 * so that ending it ends whatever it started. Node, Deno and Bun only: on
 * workerd (no subprocesses) `stdioUpstream` throws when it is defined.
 * A gateway bounds the processes of its stdio upstreams (process_pool.ts);
 * the process itself is process_group_transport.ts's. Through a gateway, an
 * upstream that serves 2026-07-28 is spoken to in it by 2026-07-28 callers,
 * one process per principal (modern_stdio_endpoint.ts); 2025 sessions (with
 * `"auto"`) and any other upstream's callers in 2025 sessions, one process
 * per upstream session.
 * @module
 */

import type { Principal } from "../../protocol/context/request_context.ts";
import { host, ProcessGroupTransport } from "./process_group_transport.ts";
import type { ProcessPool } from "./process_pool.ts";
import { StdioModernEndpoint } from "./modern_stdio_endpoint.ts";
import { GATEWAY_DEFAULTS } from "../gateway_defaults.ts";
import type { UpstreamProtocol } from "../modern/modern_endpoint.ts";
import {
  checkUpstreamName,
  type OpenedTransport,
  type Upstream,
  type UpstreamCredentials,
} from "../upstream.ts";

/**
 * Options of {@linkcode stdioUpstream}.
 *
 * @example
 * ```ts
 * import type { StdioUpstreamOptions } from "@tether/mcp/gateway";
 * const options: StdioUpstreamOptions = { name: "everything", command: "node", args: ["server.ts"] };
 * ```
 */
export interface StdioUpstreamOptions {
  /** The upstream's name. */
  name: string;
  /** The program to run (no shell). */
  command: string;
  /** Its arguments. Default: none. */
  args?: readonly string[];
  /** Its working directory. Default: the gateway's. */
  cwd?: string;
  /** Environment variables beside PATH and HOME (nothing else of the gateway's is passed). */
  env?: Record<string, string>;
  /** More environment variables for the caller (e.g. a token). Default: none. */
  credentials?: UpstreamCredentials;
  /**
   * What becomes of the subprocess's stderr.
   * @default {"inherit"}
   */
  stderr?: "inherit" | "ignore";
  /**
   * The largest line (one JSON-RPC message) read from it, bytes; past it the process is killed.
   * A 2026-07-28 request larger than it is not written (its call fails).
   * @default {4_194_304}
   */
  maxMessageBytes?: number;
  /**
   * The revision spoken to it: `"auto"` asks `server/discover` (its answer
   * awaited for `discoverTimeoutMs`) and speaks 2026-07-28 to a server that
   * serves it for 2026-07-28 callers, one process per principal shared by
   * that principal's requests, while each downstream 2025 session gets a
   * 2025 session (a process) of its own, unless the server refuses those;
   * any other answer (an error, silence, no 2026-07-28 among its versions)
   * falls back to 2025 sessions, one process each. `"2026-07-28"` speaks only
   * 2026-07-28, for every caller, and never falls back (the upstream is
   * unavailable instead); `"2025"` never asks.
   * @default {"auto"}
   */
  protocol?: UpstreamProtocol;
  /**
   * How long `server/discover` may go unanswered before a `"auto"` upstream
   * counts as a 2025-only server, ms.
   * @default {10_000}
   */
  discoverTimeoutMs?: number;
}

/** True where subprocesses can run (Node, Deno, Bun), false on workerd. */
export function canSpawn(): boolean {
  const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent;
  return agent !== "Cloudflare-Workers" && typeof host?.versions?.node === "string" &&
    typeof host.getBuiltinModule === "function";
}

/**
 * An upstream run as a subprocess speaking MCP over stdio: through a
 * gateway, one process per principal when it serves 2026-07-28 (see
 * {@linkcode StdioUpstreamOptions.protocol}), else one per upstream
 * session. Throws on workerd, where there are no subprocesses.
 *
 * @example
 * ```ts
 * import { stdioUpstream } from "@tether/mcp/gateway";
 * const everything = stdioUpstream({ name: "everything", command: "node", args: ["examples/everything.ts", "--stdio"] });
 * console.log(everything.name);
 * ```
 */
export function stdioUpstream(options: StdioUpstreamOptions): Upstream {
  const name = checkUpstreamName(options.name);
  if (!canSpawn()) {
    throw new TypeError(
      `Upstream "${name}": stdio upstreams need subprocesses (Node, Deno or Bun); this runtime has none`,
    );
  }
  if (typeof options.command !== "string" || options.command === "") {
    throw new TypeError(`Upstream "${name}": command must be a non-empty string`);
  }
  const maxMessageBytes = options.maxMessageBytes ??
    GATEWAY_DEFAULTS.StdioUpstreamOptions.maxMessageBytes;
  const defaults = GATEWAY_DEFAULTS.StdioUpstreamOptions;
  const protocol = options.protocol ?? defaults.protocol;
  const discoverTimeoutMs = options.discoverTimeoutMs ?? defaults.discoverTimeoutMs;
  if (!(discoverTimeoutMs > 0)) {
    throw new TypeError(`Upstream "${name}": discoverTimeoutMs must be a positive number of ms`);
  }
  const spawn = async (principal: Principal, pool?: ProcessPool) => {
    const env: Record<string, string> = {};
    for (const key of ["PATH", "HOME", "SYSTEMROOT"]) {
      const value = host?.env?.[key];
      if (value !== undefined) env[key] = value;
    }
    Object.assign(env, options.env, await options.credentials?.(principal));
    return new ProcessGroupTransport({
      ...options,
      env,
      maxMessageBytes,
      pool: pool === undefined ? undefined : { pool, principal },
    });
  };
  const open = async (principal: Principal, pool?: ProcessPool): Promise<OpenedTransport> => {
    const transport = await spawn(principal, pool);
    return { transport, kill: () => transport.kill() };
  };
  const upstream: Upstream = { name, connect: (principal) => open(principal) };
  openers.set(upstream, (pool, onDropped) => ({
    name,
    connect: (principal) => open(principal, pool),
    modern: protocol === "2025" ? undefined : (() => {
      const endpoint = new StdioModernEndpoint({
        protocol,
        discoverTimeoutMs,
        maxMessageBytes,
        exempt: pool.exempt,
        graceMs: pool.graceMs,
        spawn: (principal) => spawn(principal, pool),
        onDropped,
      });
      pool.closing((graceMs) => endpoint.close(graceMs));
      return endpoint;
    })(),
  }));
  return upstream;
}

/** How each stdio upstream is served in a pool (its 2026-07-28 side's drops counted by `onDropped`). */
const openers = new WeakMap<Upstream, (pool: ProcessPool, onDropped: () => void) => Upstream>();

/**
 * `upstream` with its processes in `pool` (bounded, closed when idle) when
 * it is a stdio upstream, with its 2026-07-28 side (unless `protocol:
 * "2025"`) whose unattributable messages `onDropped` counts, and whose
 * processes end when the pool closes; any other upstream as it is.
 *
 * @example
 * ```ts
 * import { ProcessPool } from "./process_pool.ts";
 * import { pooledUpstream, stdioUpstream } from "./stdio_upstream.ts";
 * const pool = new ProcessPool({
 *   maxProcesses: 64,
 *   maxProcessesPerPrincipal: 16,
 *   idleCloseMs: 60_000,
 *   graceMs: 5_000,
 *   exempt: { id: "tether-gateway" },
 *   now: Date.now,
 * });
 * const local = pooledUpstream(stdioUpstream({ name: "local", command: "node", args: ["server.ts"] }), pool);
 * console.log(local.name); // "local"
 * ```
 */
export function pooledUpstream(
  upstream: Upstream,
  pool: ProcessPool,
  onDropped: () => void = () => {},
): Upstream {
  return openers.get(upstream)?.(pool, onDropped) ?? upstream;
}
