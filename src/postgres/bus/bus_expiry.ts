/**
 * The bus's rows the backend's expiry sweep deletes (postgres_expiry.ts runs these statements,
 * each a batch with `FOR UPDATE SKIP LOCKED`): messages past their deadline (an inbox no live
 * reader empties), instances `4 × aliveMs` past their last refresh, request records and
 * cancellation marks past theirs, and a session's holders `graceMs` past the session's deadline
 * as last touched (a session's end is still announced to them until then).
 * @module
 */

import type { PostgresSql } from "../connection/postgres_gate.ts";

/** One batch's statement of the sweep: deletes at most `limit` rows, and counts them. */
export type ExpiryBatch = (sql: PostgresSql) => Promise<{ count: number }>;

/**
 * The statements that delete the namespace's expired bus rows at `now`, `limit` rows each.
 *
 * @example
 * ```ts ignore (internal fragment: the backend's sweep runs them)
 * for (const batch of busExpiry("tether", Date.now(), 60_000, 1_000)) await gate.run("expiry sweep", batch);
 * ```
 */
export function busExpiry(
  namespace: string,
  now: number,
  graceMs: number,
  limit: number,
): ExpiryBatch[] {
  const before = now - graceMs;
  return [
    (sql) =>
      sql`DELETE FROM tether_bus_messages WHERE (namespace, instance_id, id) IN (
        SELECT namespace, instance_id, id FROM tether_bus_messages
        WHERE namespace = ${namespace} AND expires_at <= ${now}
        LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )`,
    (sql) =>
      sql`DELETE FROM tether_bus_instances WHERE (namespace, id) IN (
        SELECT namespace, id FROM tether_bus_instances
        WHERE namespace = ${namespace} AND expires_at <= ${now}
        LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )`,
    (sql) =>
      sql`DELETE FROM tether_bus_requests WHERE (namespace, owner_key, request_key, instance_id) IN (
        SELECT namespace, owner_key, request_key, instance_id FROM tether_bus_requests
        WHERE namespace = ${namespace} AND expires_at <= ${now}
        LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )`,
    (sql) =>
      sql`DELETE FROM tether_bus_cancel_marks WHERE (namespace, owner_key, request_key) IN (
        SELECT namespace, owner_key, request_key FROM tether_bus_cancel_marks
        WHERE namespace = ${namespace} AND expires_at <= ${now}
        LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )`,
    (sql) =>
      sql`DELETE FROM tether_bus_holders WHERE (namespace, session_id, instance_id) IN (
        SELECT namespace, session_id, instance_id FROM tether_bus_holders
        WHERE namespace = ${namespace} AND expires_at <= ${before}
        LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )`,
  ];
}
