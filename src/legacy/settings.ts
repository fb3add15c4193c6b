/**
 * The settings of the sessionful era, declared here by the era itself (the
 * handler fills them from its resolved options; nothing in legacy/ reads
 * the options bag or imports config/).
 * @module
 */

import type { ResponseMode } from "../http/response_mode.ts";
import type { Scheduler } from "../runtime.ts";

/** The settings of the sessionful era, built by the handler from its resolved options. */
export interface LegacySettings {
  /** Requests one session may have in flight. */
  maxRequestsPerSession: number;
  /** Bytes of `ctx.session` state per session. */
  maxStateBytes: number;
  /** The clock, ms since the epoch. */
  now: () => number;
  /** Told about unexpected errors. */
  onError: (error: unknown) => void;
  /** A session ends this long after its last request. */
  idleTtlMs: number;
  /** A session ends this long after it began, whatever its use. */
  absoluteTtlMs: number;
  /** How often the era's one sweep removes expired sessions. */
  sweepIntervalMs: number;
  /** Sessions at once, all principals together. */
  maxSessions: number;
  /** Sessions one principal may hold. */
  maxSessionsPerPrincipal: number;
  /** Sessions anonymous callers may hold together. */
  maxAnonymousSessions: number;
  /** The `Retry-After` of a refusal for a full pool. */
  retryAfterSeconds: number;
  /** Bytes a stream may buffer for a slow reader before it is dropped. */
  maxStreamBufferBytes: number;
  /** The SSE `retry:` a stream advertises. */
  retryMs: number;
  /** Work whose client is gone for this long is aborted. */
  orphanTimeoutMs: number;
  /** How a call is answered: JSON, SSE, or SSE once it emits. */
  responseMode: ResponseMode;
  /** How long `ctx.elicit`/`sample`/`listRoots` wait for the client. */
  clientRequestTimeoutMs: number;
  /** Whether GET opens a listening stream. */
  listeningStream: boolean;
  /** Resource subscriptions per session. */
  maxSubscriptions: number;
  /** Bytes of subscribed URIs per session. */
  maxSubscriptionBytes: number;
  /** The timers of the bounded waits at close (undefined: the runtime's). */
  scheduler: Scheduler | undefined;
}
