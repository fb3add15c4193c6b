/**
 * The DPoP replay cache in Postgres, shared by every instance: each proof is claimed with one
 * statement, an insert of its key that replaces only a row past its deadline, so of two
 * instances claiming one proof at once exactly one wins (the other waits on the key's row and
 * then finds it held). Rows carry their deadline (when the proof would be too old anyway); reads
 * ignore rows past it and the backend's sweep deletes them in batches. A Postgres that cannot
 * answer rejects, and the proof is refused `503` (fail closed). Not here: which proofs to claim
 * (the handler's DPoP checks).
 * @module
 */

import type { PostgresGate } from "../connection/postgres_gate.ts";
import { namespaceOf } from "../sessions/postgres_session_store.ts";

/**
 * Options of {@linkcode PostgresDpopReplayStore}.
 *
 * @example
 * ```ts
 * import type { PostgresDpopReplayStoreOptions } from "@tether/mcp/postgres";
 * const options: PostgresDpopReplayStoreOptions = { namespace: "tenant-a" };
 * ```
 */
export interface PostgresDpopReplayStoreOptions {
  /**
   * The namespace of the store's rows (stores of different namespaces never share a claim).
   * @default {"tether"}
   */
  namespace?: string;
}

/**
 * Used DPoP proofs in Postgres: pass it as `auth.oauth.dpop.replayStore`
 * (`createPostgresBackend` makes one as `dpopReplayStore`), so a proof used on one instance is
 * refused on every other.
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
 *   auth: {
 *     oauth: {
 *       resource: "https://mcp.example.com/mcp",
 *       authorizationServers: ["https://auth.example.com"],
 *       verifyAccessToken: () => null,
 *       dpop: { mode: "required", replayStore: backend.dpopReplayStore },
 *     },
 *   },
 * });
 * ```
 */
export class PostgresDpopReplayStore {
  readonly #gate: PostgresGate;
  readonly #namespace: string;

  /** A store whose statements pass `gate`. */
  constructor(gate: PostgresGate, options: PostgresDpopReplayStoreOptions = {}) {
    this.#gate = gate;
    this.#namespace = namespaceOf(options.namespace);
  }

  /** Claims `key` until `expiresAt` (ms): false when another request, on any instance, holds it. */
  async claim(key: string, expiresAt: number, now: number): Promise<boolean> {
    const until = Math.max(expiresAt, now + 1);
    const rows = await this.#gate.run(
      "DPoP replay store",
      (sql) =>
        sql`INSERT INTO tether_dpop_proofs AS held (namespace, key, expires_at)
      VALUES (${this.#namespace}, ${key}, ${until})
      ON CONFLICT (namespace, key) DO UPDATE SET expires_at = excluded.expires_at
      WHERE held.expires_at <= ${now}
      RETURNING 1 AS claimed`,
    );
    return rows.length === 1;
  }
}
