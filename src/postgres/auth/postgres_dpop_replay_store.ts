/**
 * The DPoP replay cache in Postgres, shared by every instance: each proof is claimed with one
 * statement, `tether_claim_dpop_proof` (auth/postgres_dpop_schema.ts): under its owner's advisory
 * lock it counts the owner's live proofs against its share, then inserts the key, replacing only
 * a row past its deadline, so of two instances claiming one proof at once exactly one wins (the
 * other waits on the key's row and then finds it held). Rows carry their deadline (when the proof would be too old anyway); reads
 * ignore rows past it and the backend's sweep deletes them in batches. A Postgres that cannot
 * answer rejects, and the proof is refused `503` (fail closed). Not here: which proofs to claim
 * (the handler's DPoP checks).
 * @module
 */

import type { PostgresGate } from "../connection/postgres_gate.ts";
import { namespaceOf } from "../sessions/postgres_session_store.ts";
import { POSTGRES_DEFAULTS } from "../postgres_defaults.ts";

/**
 * Options of {@linkcode PostgresDpopReplayStore}.
 *
 * @example
 * ```ts
 * import type { PostgresDpopReplayStoreOptions } from "./postgres_dpop_replay_store.ts";
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
    this.#namespace = namespaceOf(
      options.namespace ?? POSTGRES_DEFAULTS.PostgresDpopReplayStoreOptions.namespace,
    );
  }

  /**
   * Claims `key` for `owner` until `expiresAt` (ms): false when another request, on any
   * instance, holds it; `"share-full"` when `owner` holds `owner.share` live proofs.
   */
  async claim(
    key: string,
    expiresAt: number,
    now: number,
    owner: { key: string; share: number },
  ): Promise<boolean | "share-full"> {
    const until = Math.max(expiresAt, now + 1);
    const rows = await this.#gate.run(
      "DPoP replay store",
      (sql) =>
        sql`SELECT tether_claim_dpop_proof(${this.#namespace}, ${key}, ${owner.key},
        ${until}, ${now}, ${owner.share}) AS outcome`,
    );
    const outcome = rows[0]?.outcome;
    if (outcome === "share-full") return "share-full";
    return outcome === "claimed";
  }
}
