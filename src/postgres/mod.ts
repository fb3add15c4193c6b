/**
 * `@tether/mcp/postgres`: several tether instances share sessions, resumable streams, the
 * message bus (cancellations, replies, session ends, notifications), tasks, used DPoP proofs and
 * rate-limit budgets on the Postgres database a team already runs. The tables are the truth
 * (`NOTIFY` only wakes);
 * every statement has a deadline and a Postgres that cannot answer makes requests `503` +
 * `Retry-After`, never a hang; rows carry their deadlines and any live instance deletes
 * expired ones in batches. The tables come from a versioned migration you run
 * ({@linkcode migratePostgres}); a missing or older schema is refused at startup. One
 * postgres.js pool (2-4 connections, no prepared statements: PgBouncer's transaction mode
 * works) and one listening connection per instance.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { tasksExtension } from "@tether/mcp/tasks";
 * import { createPostgresBackend } from "@tether/mcp/postgres";
 *
 * const backend = await createPostgresBackend({ url: "postgres://app@127.0.0.1:5432/app" });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   storage: backend,
 *   limits: {
 *     rateLimits: { perPrincipal: { limit: 600, windowSeconds: 60 }, store: backend.rateLimitStore },
 *   },
 *   extensions: [tasksExtension({ store: backend.taskStore })],
 * });
 * // on shutdown: await handler.close({ graceMs: 5_000 }); await backend.close();
 * ```
 * @module
 */

export {
  createPostgresBackend,
  type PostgresBackend,
  type PostgresBackendOptions,
  type PostgresTarget,
} from "./postgres_backend.ts";
export type { PostgresEventLogOptions } from "./event_log/postgres_event_log.ts";
export type { PostgresBusOptions } from "./bus/bus_options.ts";
export type { PostgresTaskStoreOptions } from "./tasks/postgres_task_store.ts";
export { type ExpirySweepCounts } from "./postgres_expiry.ts";
export { migratePostgres, SCHEMA_VERSION } from "./connection/postgres_schema.ts";
export type { Wakeups } from "./connection/postgres_wakeups.ts";
