/**
 * The key names of one session in Redis, shared by the session store and the
 * event log: every one carries the session id as its hash tag (one slot). The
 * store's read-and-touch moves the log's keys on with the session's, so both
 * name them from here. Names only; no Redis calls. Internal.
 * @module
 */

/**
 * A session's record, meta and state keys (`s:{id}`, `sm:{id}`, `st:{id}`).
 *
 * @example
 * ```ts
 * import { sessionKeysOf } from "./session_keys.ts";
 * sessionKeysOf("app:", "abc"); // ["app:s:{abc}", "app:sm:{abc}", "app:st:{abc}"]
 * ```
 */
export function sessionKeysOf(prefix: string, sessionId: string): string[] {
  return [`${prefix}s:{${sessionId}}`, `${prefix}sm:{${sessionId}}`, `${prefix}st:{${sessionId}}`];
}

/**
 * The keys an event-log script of one stream declares
 * (event_log/event_log_scripts.ts): the session's streams (`es:{id}`,
 * `:order`, `:bytes`, `:sizes`), the stream's state and events
 * (`em:{id}:<stream>`, `ev:{id}:<stream>`) and the session's record (read for its TTL). With `streamId` "" the two stream keys
 * are the bases a script appends a stream id to.
 *
 * @example
 * ```ts
 * import { eventLogKeysOf } from "./session_keys.ts";
 * eventLogKeysOf("app:", "abc", "1")[5]; // "app:ev:{abc}:1"
 * ```
 */
export function eventLogKeysOf(prefix: string, sessionId: string, streamId: string): string[] {
  const session = `${prefix}es:{${sessionId}}`;
  return [
    session,
    `${session}:order`,
    `${session}:bytes`,
    `${session}:sizes`,
    `${prefix}em:{${sessionId}}:${streamId}`,
    `${prefix}ev:{${sessionId}}:${streamId}`,
    `${prefix}s:{${sessionId}}`,
  ];
}

/**
 * What a touch of the session declares: its record, meta and state keys,
 * then its event-log keys (the streams, and the bases of a stream's state
 * and events keys), which move on with the session's.
 *
 * @example
 * ```ts
 * import { touchedKeysOf } from "./session_keys.ts";
 * touchedKeysOf("app:", "abc").length; // 9
 * ```
 */
export function touchedKeysOf(prefix: string, sessionId: string): string[] {
  return [
    ...sessionKeysOf(prefix, sessionId),
    ...eventLogKeysOf(prefix, sessionId, "").slice(0, 6),
  ];
}
