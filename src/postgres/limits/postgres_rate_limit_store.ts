/**
 * A {@linkcode RateLimitStore} in Postgres, so every tether instance spends from one budget per
 * key: one statement per take (GCRA, the arithmetic of `gcraStep`), an upsert whose update
 * happens only when the units are there, so concurrent takes of a key run one after the other
 * on its row and never spend more than the budget. A row's `full_at` is its deadline (the time
 * the budget is full again): reads treat a past one as a full budget, and the backend's sweep
 * deletes such rows in batches. The clock is the caller's (NTP between instances). Not here:
 * choosing or bounding keys (the entry does).
 * @module
 */

import {
  gcraStep,
  type RateLimitStore,
  type RateQuota,
  type RateTake,
  TOLERANCE_MS,
} from "../../limits/rate_limit_store.ts";
import type { PostgresGate } from "../connection/postgres_gate.ts";
import { namespaceOf } from "../sessions/postgres_session_store.ts";
import { POSTGRES_DEFAULTS } from "../postgres_defaults.ts";

/**
 * Options of {@linkcode PostgresRateLimitStore}.
 *
 * @example
 * ```ts
 * import type { PostgresRateLimitStoreOptions } from "./postgres_rate_limit_store.ts";
 * const options: PostgresRateLimitStoreOptions = { namespace: "tenant-a" };
 * ```
 */
export interface PostgresRateLimitStoreOptions {
  /**
   * The namespace of the store's rows (stores of different namespaces never share a budget).
   * @default {"tether"}
   */
  namespace?: string;
}

/**
 * Rate-limit budgets in Postgres, shared by every instance: pass it as `rateLimits.store`
 * (`createPostgresBackend` makes one as `rateLimitStore`). A Postgres that cannot be reached
 * rejects, and the handler answers `503`.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createPostgresBackend } from "@tether/mcp/postgres";
 *
 * const backend = await createPostgresBackend({ url: "postgres://app@127.0.0.1:5432/app" });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   limits: {
 *     rateLimits: { perPrincipal: { limit: 600, windowSeconds: 60 }, store: backend.rateLimitStore },
 *   },
 * });
 * ```
 */
export class PostgresRateLimitStore implements RateLimitStore {
  readonly #gate: PostgresGate;
  readonly #namespace: string;

  /** A store whose statements pass `gate`. */
  constructor(gate: PostgresGate, options: PostgresRateLimitStoreOptions = {}) {
    this.#gate = gate;
    this.#namespace = namespaceOf(
      options.namespace ?? POSTGRES_DEFAULTS.PostgresRateLimitStoreOptions.namespace,
    );
  }

  /** Spends `units` of `key`'s budget (one by default), if they are there, all or none. */
  async take(key: string, quota: RateQuota, now: number, units = 1): Promise<RateTake> {
    const windowMs = quota.windowSeconds * 1000;
    const cost = units * windowMs / quota.limit;
    // `spent` is the new full time when the units were spent (no row otherwise); `stored` the
    // full time as the statement began, which only measures a refusal.
    const rows = await this.#gate.run("rate-limit store", (sql) =>
      sql`WITH stored AS (
        SELECT full_at FROM tether_rate_limits
        WHERE namespace = ${this.#namespace} AND key = ${key}
      ), spent AS (
        INSERT INTO tether_rate_limits AS budget (namespace, key, full_at)
        VALUES (${this.#namespace}, ${key}, ${now}::double precision + ${cost})
        ON CONFLICT (namespace, key) DO UPDATE
        SET full_at = greatest(budget.full_at, ${now}::double precision) + ${cost}
        WHERE greatest(budget.full_at, ${now}::double precision) + ${cost} - ${windowMs}
          - ${now} <= ${TOLERANCE_MS}
        RETURNING full_at
      )
      SELECT (SELECT full_at FROM spent) AS spent, (SELECT full_at FROM stored) AS stored`);
    const spent = rows[0]?.spent;
    if (spent !== null && spent !== undefined) {
      const next = Number(spent);
      const interval = windowMs / quota.limit;
      const remaining = Math.max(0, Math.floor((now + windowMs - next + TOLERANCE_MS) / interval));
      return { ok: true, remaining, resetMs: next - now, retryAfterMs: 0 };
    }
    const stored = rows[0]?.stored;
    const step = gcraStep(stored == null ? undefined : Number(stored), quota, now, units);
    return {
      ok: false,
      remaining: 0,
      resetMs: step.resetMs,
      retryAfterMs: Math.max(step.retryAfterMs, 1),
    };
  }
}
