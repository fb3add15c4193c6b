/**
 * The options of `createGateway` and the events it reports (`onEvent`),
 * declared apart from the gateway that reads them. Their defaults are the
 * table in gateway_defaults.ts (scripts/options_reference.ts checks each tag).
 * @module
 */

import type { Namespace } from "./catalog/catalog.ts";
import type { PinEvent, PinOptions } from "./catalog/pins.ts";
import type { Upstream } from "./upstream.ts";

/**
 * Options of `createGateway`.
 *
 * @example
 * ```ts
 * import { type GatewayOptions, httpUpstream } from "@tether/mcp/gateway";
 * const options: GatewayOptions = { upstreams: [httpUpstream({ name: "files", url: "http://127.0.0.1:9000/mcp" })] };
 * ```
 */
export interface GatewayOptions {
  /** The upstreams, with distinct names. */
  upstreams: readonly Upstream[];
  /**
   * How upstream tool, prompt, resource and template names are listed.
   * @default {`defaultNamespace`: the upstream's name, `_`, the entry's name (`files_read`)}
   */
  namespace?: Namespace;
  /**
   * Idle time after which an upstream session is pinged before reuse, ms.
   * @default {60_000}
   */
  idleProbeMs?: number;
  /**
   * How long that ping may take before the session is recreated, ms.
   * @default {5_000}
   */
  probeTimeoutMs?: number;
  /**
   * The grace of an upstream session's close before it is forced, ms.
   * @default {5_000}
   */
  graceMs?: number;
  /**
   * How long one upstream call may run without progress, ms.
   * @default {300_000}
   */
  callTimeoutMs?: number;
  /**
   * Live upstream sessions in this process.
   * @default {1_000}
   */
  maxSessions?: number;
  /**
   * Live upstream sessions of one authenticated principal.
   * @default {32}
   */
  maxSessionsPerPrincipal?: number;
  /**
   * Live upstream sessions of every anonymous caller together (callers
   * without credentials: each session, or 2026-07-28 request, holds its own
   * places within this share, so no anonymous caller locks out another
   * before the share is spent, and anonymous callers never take the places
   * of authenticated ones). Bound one address's share with the handler's
   * `limits.rateLimit`.
   * @default {half of maxSessions (at least 1)}
   */
  maxAnonymousSessions?: number;
  /**
   * Upstream `subscriptions/listen` streams held for downstream sessions'
   * subscriptions to 2026-07-28 upstreams' resources, in this process: one
   * per (caller, upstream, URI); a subscribe that would open one more is
   * refused (`-32004`).
   * @default {512}
   */
  maxSubscriptionStreams?: number;
  /**
   * Those streams of one authenticated principal (every anonymous caller
   * together); a subscribe past it is refused (`-32004`).
   * @default {32}
   */
  maxSubscriptionStreamsPerPrincipal?: number;
  /**
   * Progress notifications relayed for one call; the rest are dropped (counted in `stats()`).
   * @default {1_000}
   */
  maxRelayedProgress?: number;
  /**
   * Log messages relayed for one call; the rest are dropped (counted in `stats()`).
   * @default {1_000}
   */
  maxRelayedLogs?: number;
  /**
   * Elicitation, sampling and roots requests of one call in flight at once;
   * the upstream's further requests are refused with a JSON-RPC error
   * (counted in `stats()`). For a 2026-07-28 upstream: the input requests
   * of one `input_required` round (more fail the call, counted).
   * @default {4}
   */
  maxRelayedRequests?: number;
  /**
   * stdio upstream processes run for callers at once, across every stdio
   * upstream (each discovery session's process besides); a call that would
   * start one more fails with a retry hint.
   * @default {64}
   */
  maxProcesses?: number;
  /**
   * stdio upstream processes of one principal at once (anonymous callers together).
   * @default {16}
   */
  maxProcessesPerPrincipal?: number;
  /**
   * Time a stdio upstream process may sit unused (no call in flight, no
   * resource subscription) before it is ended, ms; the next call opens a
   * new upstream session. `Infinity`: only the session's end ends it.
   * @default {60_000}
   */
  stdioIdleCloseMs?: number;
  /**
   * How long a 2026-07-28 (session-less) principal's upstream session lives unused, ms.
   * @default {300_000}
   */
  statelessTtlMs?: number;
  /**
   * The largest message relayed either way (results, elicitations, logs), bytes.
   * @default {4_194_304}
   */
  maxRelayBytes?: number;
  /**
   * Told of failures no caller sees: an upstream unavailable at startup
   * (once), a list reread that failed or was refused, an entry that
   * drifted from its pin (once per drift).
   * @default {console.error}
   */
  onError?: (error: unknown) => void;
  /**
   * The first wait before an upstream unavailable at startup, or an
   * upstream whose reread of its lists failed (its previous lists stay
   * served), is tried again, ms; it doubles each try.
   * @default {1_000}
   */
  retryMs?: number;
  /**
   * The longest wait between tries of an unavailable upstream or a failed reread, ms.
   * @default {60_000}
   */
  maxRetryMs?: number;
  /**
   * Downstream tasks (serve the handler with `tasksExtension()` from
   * `@tether/mcp/tasks`). `"mirror"`: each upstream tool is listed with the
   * task support the upstream lists for it (`execution.taskSupport`:
   * `optional`, `required`, or none), so clients see what a direct
   * connection shows. `true`: every upstream tool may run as a downstream
   * task (`task: "optional"`): a long upstream call becomes a task the
   * client polls. Independently, a tool the upstream runs as a task is
   * always called as an upstream task.
   * @default {false}
   */
  tasks?: boolean | "mirror";
  /**
   * Pinned definitions: each read of an upstream's lists is checked
   * against a pin set before it is served; a drifted entry is hidden (or
   * its calls refused), reported to `onEvent` and `onError`. See
   * {@linkcode PinOptions}; `pinSet()` gives the pins of what is listed now.
   * @default {undefined (nothing pinned)}
   */
  pins?: PinOptions;
  /**
   * Told what the gateway notices that is no failure of a call: today the
   * pin check's {@linkcode PinEvent}s. A throw is caught and told to `onError`.
   * @default {undefined}
   */
  onEvent?: (event: GatewayEvent) => void;
  /**
   * The clock.
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * What a gateway reports through its `onEvent` option.
 *
 * @example
 * ```ts
 * import type { GatewayEvent } from "@tether/mcp/gateway";
 * const log = (event: GatewayEvent) => console.log(event.type, event.upstream, event.name);
 * ```
 */
export type GatewayEvent = PinEvent;
