/**
 * The holders of a session, as the Postgres bus routes by them: the session store's
 * read-and-touch by the owner records the instance serving it (`tether_bus_holders`) in the same
 * statement, so a session's messages come to the instances that used it. A record written within
 * {@linkcode HOLDER_REFRESH_MS} is left as it is: a session used again and again costs one holder
 * write per that long, not one per request. It routes nothing (postgres_bus.ts does).
 * @module
 */

import type { PostgresSql } from "../connection/postgres_gate.ts";
import { type SessionTouch, touchSteps } from "../sessions/session_touch.ts";

/**
 * How recent a holder's record may be for a touch to leave it as it is, ms: less than the
 * delivery's release delay (`RELEASE_AFTER_MS`, 2 s), so a release never removes an instance
 * that used the session since the message that made it consider releasing.
 */
export const HOLDER_REFRESH_MS = 500;

/** What one touch of a session by a request is, with the instance serving it. */
export interface HoldingTouch extends SessionTouch {
  /** The bus instance serving the request. */
  holder: string;
}

/**
 * The session's live record, read and, for its owner, touched (as sessions/session_touch.ts's
 * `touchSession`: the deadline written only when it moves by `slack` or more), recording
 * `holder` as a holder of the session in the same statement: a row `record, expires_at, owned`
 * when live (another owner's record is read untouched: `owned` false), no row otherwise.
 *
 * @example
 * ```ts ignore (internal fragment: the session store runs it through its gate)
 * const rows = await touchHolding(sql, { namespace, id, now, ownerKey, idle, absolute, slack, holder });
 * ```
 */
export function touchHolding(sql: PostgresSql, touch: HoldingTouch) {
  const { namespace, id, holder } = touch;
  const usedAt = Date.now(); // the bus's release compares it with this clock
  return sql`WITH ${touchSteps(sql, touch)}, held AS (
    INSERT INTO tether_bus_holders AS h (namespace, session_id, instance_id, used_at, expires_at)
    SELECT ${namespace}, ${id}, ${holder}, ${usedAt}, seen.expires_at FROM seen
    WHERE seen.owned AND NOT EXISTS (SELECT 1 FROM tether_bus_holders r
      WHERE r.namespace = ${namespace} AND r.session_id = ${id}
        AND r.instance_id = ${holder} AND r.used_at >= ${usedAt - HOLDER_REFRESH_MS})
    ON CONFLICT (namespace, session_id, instance_id) DO UPDATE
    SET used_at = greatest(h.used_at, excluded.used_at),
      expires_at = greatest(h.expires_at, excluded.expires_at)
  )
  SELECT record, expires_at, owned FROM seen`;
}
