/**
 * The bus's tables the backend's expiry sweep deletes from (postgres_expiry.ts builds and runs
 * the statements, each a batch with `FOR UPDATE SKIP LOCKED`): messages past their deadline (an
 * inbox no live reader empties), instances `4 × aliveMs` past their last refresh, request records
 * and cancellation marks past theirs, and a session's holders `graceMs` past the session's
 * deadline as last touched (a session's end is still announced to them until then).
 * @module
 */

/**
 * The bus's expiring tables: each one's name, its key columns beside `namespace`, its deadline
 * column, and whether its rows wait the sweep's grace past that deadline (the shape of
 * postgres_expiry.ts's `ExpiringTable`).
 *
 * @example
 * ```ts
 * import { BUS_EXPIRING } from "./bus_expiry.ts";
 * const tables = BUS_EXPIRING.map(({ table }) => table); // ["tether_bus_messages", …]
 * ```
 */
export const BUS_EXPIRING = [
  { table: "tether_bus_messages", key: ["instance_id", "id"], deadline: "expires_at" },
  { table: "tether_bus_instances", key: ["id"], deadline: "expires_at" },
  {
    table: "tether_bus_requests",
    key: ["owner_key", "request_key", "instance_id"],
    deadline: "expires_at",
  },
  { table: "tether_bus_cancel_marks", key: ["owner_key", "request_key"], deadline: "expires_at" },
  {
    table: "tether_bus_holders",
    key: ["session_id", "instance_id"],
    deadline: "expires_at",
    afterGrace: true,
  },
] as const;
