/**
 * A session's read-and-touch by a request, as the Postgres session store runs it: the live
 * record read and, for its owner, the deadline moved, in one statement, written only when it
 * moves by {@linkcode touchSlackMs} or more (a session used again and again costs a read, not a
 * row version per request). The bus's variant, which also records the instance serving the
 * request as a holder, is bus/bus_holders.ts's `touchHolding`. It reads and writes nothing else.
 * @module
 */

import type { PostgresSql } from "../connection/postgres_gate.ts";

/**
 * The most a touch may leave unwritten, ms (not an option: the slack only trades row versions for
 * a session expiring up to that much early, and 5 s of a long idle TTL is no one's concern).
 */
const MAX_TOUCH_SLACK_MS = 5_000;

/** The slack's share of the idle TTL (a hundredth), for short TTLs. */
const TOUCH_SLACK_PARTS = 100;

/**
 * How far a touch must move a session's deadline to be written, ms: a hundredth of the idle
 * TTL, at most 5 s (a move onto the absolute deadline is written however small, so an expiry
 * there is told as absolute). A session expires at most that much before its last use plus its
 * idle TTL, never after it.
 *
 * @example
 * ```ts
 * import { touchSlackMs } from "./session_touch.ts";
 * touchSlackMs(30 * 60_000); // 5000
 * touchSlackMs(60_000); // 600
 * ```
 */
export function touchSlackMs(idleTtlMs: number): number {
  return Math.min(Math.floor(idleTtlMs / TOUCH_SLACK_PARTS), MAX_TOUCH_SLACK_MS);
}

/** What one touch of a session by a request is. */
export interface SessionTouch {
  namespace: string;
  id: string;
  /** The session store's clock (the deadline's). */
  now: number;
  /** The requester: only the owner's touch moves the deadline. */
  ownerKey: string;
  idle: number;
  absolute: number;
  /** A smaller move of the deadline is not written ({@linkcode touchSlackMs}). */
  slack: number;
}

/**
 * The session's live record and its deadline (moved for the owner when by `slack` or more): a
 * row `record, expires_at, owned` when live, another owner's record untouched (`owned` false);
 * no row otherwise.
 *
 * @example
 * ```ts ignore (internal fragment: the session store runs it through its gate)
 * const rows = await touchSession(sql, { namespace, id, now, ownerKey, idle, absolute, slack });
 * ```
 */
export function touchSession(sql: PostgresSql, touch: SessionTouch) {
  return sql`WITH ${touchSteps(sql, touch)}
  SELECT record, expires_at, owned FROM seen`;
}

/**
 * The steps of a touch, to begin a `WITH`: `live` (the record read), `touched` (the deadline
 * written, when it moves a step) and `seen` (`record, expires_at, owned`, the deadline as it is
 * now). bus/bus_holders.ts adds its holder's record after them.
 *
 * @example
 * ```ts ignore (internal fragment: composed into a statement)
 * sql`WITH ${touchSteps(sql, touch)} SELECT record, expires_at FROM seen`;
 * ```
 */
export function touchSteps(sql: PostgresSql, touch: SessionTouch) {
  const { namespace, id, now, ownerKey, idle, absolute, slack } = touch;
  return sql`live AS (
    SELECT record, expires_at, owner_key = ${ownerKey} AS owned FROM tether_sessions
    WHERE namespace = ${namespace} AND id = ${id} AND expires_at > ${now}
  ), touched AS (
    UPDATE tether_sessions
    SET expires_at = least(${now}::double precision + ${idle}, created_at + ${absolute})
    WHERE namespace = ${namespace} AND id = ${id} AND expires_at > ${now}
      AND owner_key = ${ownerKey}
      AND least(${now}::double precision + ${idle}, created_at + ${absolute}) > expires_at
      AND least(${now}::double precision + ${idle}, created_at + ${absolute})
        >= least(expires_at + ${slack}, created_at + ${absolute})
    RETURNING expires_at
  ), seen AS (
    SELECT live.record, coalesce(touched.expires_at, live.expires_at) AS expires_at, live.owned
    FROM live LEFT JOIN touched ON true
  )`;
}
