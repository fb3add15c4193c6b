/**
 * The one face both protocol eras show the rest of the handler: serve a
 * routed POST, act on a bus message, count their load, drain, close. The
 * entry (src/entry/) and `createMcpHandler` talk to an era only through
 * these interfaces; what an era holds (sessions, streams, work registries)
 * stays in its folder. It declares shapes only: no era is built here.
 * @module
 */

import type { BusMessage } from "./bus/message_bus.ts";
import type { LazyInterval } from "./http/lazy_interval.ts";
import type { Refusal } from "./http/refusal.ts";
import type { ClassifiedMessage } from "./jsonrpc/messages.ts";
import type { Principal } from "./protocol/context/request_context.ts";
import type { MaybePromise } from "./protocol/maybe_async.ts";

/**
 * A POST the entry routed to an era, past the shared steps and the caller's
 * authentication: its messages (checked as JSON-RPC), read once with
 * `headers` and their `MCP-Protocol-Version` (`versionHeader`).
 *
 * @example
 * ```ts
 * import type { RoutedPost } from "./era.ts";
 * const ids = (post: RoutedPost) => post.messages.length;
 * ```
 */
export interface RoutedPost {
  readonly request: Request;
  readonly headers: Headers;
  readonly messages: readonly ClassifiedMessage[];
  /** True when the body was a JSON array. */
  readonly isBatch: boolean;
  readonly principal: Principal;
  readonly versionHeader: string | null;
}

/** An era's answer to a request: a response, or a refusal for the entry to render. */
export type EraAnswer = Response | Refusal;

/** What one era counts toward `McpHandler.stats()` (the handler sums them over its eras). */
export interface EraStats {
  /** Sessions in the store (0 for an era without sessions). */
  sessions: number;
  /** Requests running now. */
  inFlight: number;
  /** SSE connections open now. */
  openStreams: number;
  /** Server→client requests awaiting a reply. */
  pendingClientRequests: number;
  /** Requests refused because their session had its maximum in flight, since start. */
  refusedAtSessionCap: number;
  /** Requests aborted because their client was gone and did not come back, since start. */
  abandoned: number;
}

/**
 * One protocol era, as the entry, the bus and `close()` see it.
 *
 * @example
 * ```ts
 * import type { Era } from "./era.ts";
 * async function running(eras: readonly Era[]): Promise<number> {
 *   let count = 0;
 *   for (const era of eras) count += (await era.stats()).inFlight;
 *   return count;
 * }
 * ```
 */
export interface Era {
  /** How `close()`'s report names this era's work ("in sessions", "in 2026-07-28"). */
  readonly label: string;
  /** Serves a POST the entry routed here. */
  serve(post: RoutedPost): MaybePromise<EraAnswer>;
  /** Acts on a bus message for what this era holds in this process; how many of its targets are here. */
  receive(message: BusMessage): number | Promise<number>;
  /** The era's counts now. */
  stats(): EraStats | Promise<EraStats>;
  /**
   * `close()` began: streams that hold no work (listening, subscriptions)
   * end now; resolves once the work running and its answers are out, or
   * after `graceMs`.
   */
  drain(graceMs: number): Promise<void>;
  /** Aborts everything still running (`ctx.signal` reason `reason`). */
  abort(reason: "server-closed"): void;
  /**
   * After {@linkcode Era.abort}: waits up to `writesMs` for the answers of
   * aborted work to be written, then ends every stream and rejects what
   * waits for a client.
   */
  close(writesMs: number): Promise<void>;
  /** Disposes what the era's work opened (bounded; failures go to `onError`). */
  dispose(): Promise<void>;
  /**
   * The era's own repeating timer (the session sweep), made by the era:
   * the door starts it at the first request (construction sets no timer),
   * `close()` stops it. Absent: the era repeats nothing.
   */
  readonly timer?: LazyInterval;
  /** Closes the storage the era made for itself (the session store), `close()`'s last step. */
  closeStore?(): Promise<void>;
  /** Requests still running. */
  running(): number;
  /** Each request still running, by method and id (`close()` reports those that outlive their abort). */
  describeRunning(): string[];
}

/**
 * The 2025 revisions' door (with sessions or without): besides POSTs, the
 * checks a POST passes before authentication, and GET and DELETE.
 */
export interface LegacyEra extends Era {
  /** A POST's checks before the entry authenticates its caller (MCP-Protocol-Version). */
  checkPost(
    messages: readonly ClassifiedMessage[],
    isBatch: boolean,
    versionHeader: string | null,
  ): Refusal | undefined;
  /** A GET's checks before authentication. */
  checkGet(request: Request): Refusal | undefined;
  /** A GET past its checks: the session's listening stream (or a resume). */
  get(request: Request, principal: Principal): Promise<EraAnswer>;
  /** A DELETE's checks before authentication. */
  checkDelete(request: Request): Refusal | undefined;
  /** A DELETE past its checks: ends the session. */
  delete(request: Request, principal: Principal): Promise<EraAnswer>;
  /**
   * Whether this instance holds anything of `sessionId` (a stream or a
   * request in flight): the bus keeps addressing the session's messages to
   * it while it does.
   */
  holds(sessionId: string): boolean;
}

/** The sessionful era: besides its door, what only sessions have. */
export interface SessionfulEra extends LegacyEra {
  /** Removes expired sessions and ends what they had running here (the handler's sweep timer). */
  sweep(): Promise<void>;
}
