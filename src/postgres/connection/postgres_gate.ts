/**
 * Every statement of the Postgres backend passes this gate: it gets a deadline (past it the
 * statement is cancelled and the caller gets a {@linkcode StorageUnavailableError}, so a paused
 * server, a partition or an exhausted pool answers `503` instead of hanging), and a failure to
 * reach Postgres becomes that same error, told once per outage through
 * {@linkcode StorageOutages}. An error Postgres answered for a statement it ran (a bug, a
 * constraint) stays as it is. It retries nothing and opens no connection.
 * @module
 */

import type postgres from "postgres";
import { StorageUnavailableError } from "../../storage_unavailable.ts";
import { StorageOutages } from "../../storage_outages.ts";
import { unrefTimer } from "../../runtime.ts";

/** The storage seams of the Postgres backend, as the reports name them. */
export type PostgresSeam =
  | "session store"
  | "event log"
  | "rate-limit store"
  | "bus"
  | "task store"
  | "DPoP replay store"
  | "expiry sweep"
  | "listener"
  | "schema check";

/** A postgres.js client (its default export's result, without custom types). */
export type PostgresSql = postgres.Sql;

/** A transaction's handle (postgres.js `TransactionSql`). */
export type PostgresTransaction = postgres.TransactionSql;

/**
 * SQLSTATEs that mean "not now" rather than "wrong statement": the connection (class 08), too
 * many connections or no resources (53), the server shutting down, crashed or starting (57P01-3),
 * a statement cancelled (57014: the deadline), a read-only server (25006: a standby after a
 * failover), and a conflict to retry (40001, 40P01, 55P03).
 */
const TRANSIENT_STATE = /^(08|53|57P0[123]|57014|25006|40001|40P01|55P03)/;

/** Where a transaction is when its deadline passes (see `PostgresGate.transaction`). */
interface TransactionPhase {
  /** Its caller was answered unavailable: it must roll back. */
  late: boolean;
  /** Its body ended in time: its COMMIT is on the way. */
  committing: boolean;
}

/** The gate's own deadline passing: Postgres did not answer in time. */
class NoAnswer extends Error {
  override name = "NoAnswer";
}

/**
 * True when `error` means Postgres could not be reached or could not run the statement now:
 * the deadline passed, the driver or the socket failed (an error with a string `code` such as
 * `CONNECTION_CLOSED` or `ECONNREFUSED`), or the server answered a transient SQLSTATE. Any other
 * error (a bug, a constraint, a caller's RangeError thrown inside a transaction) is not.
 *
 * @example
 * ```ts
 * import { unavailable } from "./postgres_gate.ts";
 * unavailable(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })); // true
 * unavailable(new RangeError("state too large")); // false
 * ```
 */
export function unavailable(error: unknown): boolean {
  if (error instanceof NoAnswer) return true;
  if (typeof error !== "object" || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (typeof code !== "string") return false;
  if (name !== "PostgresError") return true;
  return TRANSIENT_STATE.test(code);
}

/**
 * True when `error` is the driver's or the socket's news that the connection closed or broke
 * (`CONNECTION_CLOSED`, `CONNECTION_DESTROYED`, `ECONNRESET`, …), not an answer of Postgres.
 */
function connectionLost(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name !== "PostgresError" && typeof code === "string" &&
    (code.startsWith("CONNECTION_") || /^E[A-Z]+$/.test(code));
}

/**
 * A statement of postgres.js: a promise that may also be cancelled. Its `canceller` sends the
 * cancel request over a new connection and returns a promise that rejects when that connection
 * fails; the driver's own `cancel()` drops that promise (it returns null).
 */
type Statement<T> = Promise<T> & {
  cancel?: () => unknown;
  canceller?: ((statement: Statement<T>) => unknown) | null;
  /** The driver's: set once the statement was handed to a connection (null before). */
  state?: unknown;
  /** The driver's: the template's strings and values, read when the statement is sent. */
  strings?: readonly string[];
  args?: unknown[];
};

/** `SELECT 1` as a tagged template's strings. */
const NOTHING: TemplateStringsArray = Object.assign(["SELECT 1"], { raw: ["SELECT 1"] });

/**
 * Asks Postgres to cancel `statement`, on a best-effort basis. A cancel request that fails (the
 * server going down resets or refuses its connection) is dropped: through `cancel()` it would be
 * an unhandled rejection, a crash of the process.
 *
 * A statement not yet handed to a connection is not cancelled but emptied: it runs as `SELECT 1`
 * once a connection takes it, and its caller was already answered. postgres.js 3.4 cancels such a
 * statement by a flag; when it was the statement a connection was opening for (during an outage:
 * waiting out the driver's reconnect delay), the connection opens, runs nothing and is never
 * reported open, so it serves nothing until its lifetime ends (30 to 60 minutes), and with every
 * connection of the pool so stuck, the instance answers 503 for as long after Postgres is back.
 */
function cancelQuietly<T>(statement: Statement<T>): void {
  if (statement.state === null && Array.isArray(statement.strings)) {
    statement.strings = NOTHING;
    statement.args = [];
    return;
  }
  const canceller = statement.canceller;
  let request: unknown;
  if (typeof canceller === "function") {
    statement.canceller = null; // as `cancel()` does: one cancel request per statement
    request = canceller(statement);
  } else {
    request = statement.cancel?.();
  }
  if (request instanceof Promise) request.catch(() => {});
}

/**
 * One backend's statements: bounded by `timeoutMs` each, failures told once per outage of
 * `where` (the redacted URL).
 *
 * @example
 * ```ts ignore (internal fragment: `sql`, `gate`, `pool` and `url` are the backend's own)
 * const gate = new PostgresGate(sql, "postgres://127.0.0.1:5432/app", 2_000, console.error);
 * const rows = await gate.run("session store", (sql) => sql`select 1 as one`);
 * ```
 */
export class PostgresGate {
  readonly #sql: PostgresSql;
  readonly #where: string;
  readonly #timeoutMs: number;
  readonly #outages: StorageOutages;

  /** A gate on `sql` (a pool) at `where`, reporting outages to `onError`. */
  constructor(
    sql: PostgresSql,
    where: string,
    timeoutMs: number,
    onError: (error: unknown) => void,
  ) {
    this.#sql = sql;
    this.#where = where;
    this.#timeoutMs = timeoutMs;
    this.#outages = new StorageOutages(onError);
  }

  /** The redacted URL this gate reports as. */
  get where(): string {
    return this.#where;
  }

  /** Runs one statement made by `make` on the pool, within the deadline. */
  run<T>(seam: PostgresSeam, make: (sql: PostgresSql) => Statement<T>): Promise<T> {
    return this.#bounded(seam, () => make(this.#sql));
  }

  /**
   * Runs `body` in one transaction (`BEGIN` … `COMMIT` on one connection of the pool), within
   * the deadline; a rejection of `body` rolls back and is rethrown. When the connection is lost
   * meanwhile nothing is sent on it once it closed (the server rolls back) and the call fails as
   * unavailable. Nothing commits after its caller was told unavailable: a transaction whose
   * deadline passed before `body` ended (or before it began, waiting for a connection) rolls
   * back; one whose `COMMIT` was already sent when the deadline passed is waited for, one more
   * deadline at most (past that the commit's outcome is unknown, and the call fails as
   * unavailable).
   */
  transaction<T>(seam: PostgresSeam, body: (sql: PostgresTransaction) => Promise<T>): Promise<T> {
    const phase: TransactionPhase = { late: false, committing: false };
    const timeoutMs = this.#timeoutMs;
    const tooLate = () => new NoAnswer(`no answer within ${this.#timeoutMs} ms: rolled back`);
    return this.#bounded(seam, () => {
      let settled = false;
      const transaction = this.#sql.begin(async (sql) => {
        if (phase.late) throw tooLate(); // its caller was answered while it waited for a connection
        const result = await guarded(sql);
        if (phase.late) throw tooLate(); // its caller was answered: roll back, never commit late
        phase.committing = true;
        return result;
      }) as Promise<T>;
      transaction.then(() => settled = true, () => settled = true);
      return transaction;

      function guarded(sql: PostgresTransaction): Promise<T> {
        return body(sql).catch((error: unknown) => {
          if (!connectionLost(error)) throw error;
          // The connection is gone: postgres.js would send ROLLBACK on it from a setImmediate
          // and, once it has closed the socket, throw an uncaught TypeError
          // (porsager/postgres#1154). So wait: `begin` rejects by itself when the connection
          // closes (Node closes the socket after these errors), and then nothing is sent. Where
          // no close came within the deadline (Bun may not close it until something is
          // written), the rollback goes ahead, which ends the connection and frees its place
          // in the pool; never settling would hold that place for good.
          return new Promise<never>((_, reject) => {
            const timer = setTimeout(() => settled || reject(error), timeoutMs);
            unrefTimer(timer);
          });
        });
      }
    }, phase);
  }

  /** A failure of `seam` not made by a statement here (the listener's): counted in the outage. */
  failed(seam: PostgresSeam, error: unknown): void {
    this.#outages.failed(this.#where, seam, error);
  }

  /** Postgres answered: ends the outage, if one is open. */
  answered(): void {
    if (this.#outages.anyOut) this.#outages.answered(this.#where);
  }

  async #bounded<T>(
    seam: PostgresSeam,
    start: () => Statement<T>,
    phase?: TransactionPhase,
  ): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let statement: Statement<T> | undefined;
    const late = new Promise<never>((_, reject) => {
      const expire = (extended: boolean) => {
        // A COMMIT already sent may land: its outcome is waited for, one more deadline.
        if (phase?.committing === true && !extended) {
          timer = setTimeout(() => expire(true), this.#timeoutMs);
          return;
        }
        if (phase !== undefined) phase.late = true;
        if (statement !== undefined) cancelQuietly(statement);
        reject(new NoAnswer(`no answer within ${this.#timeoutMs} ms`));
      };
      timer = setTimeout(() => expire(false), this.#timeoutMs);
    });
    try {
      statement = start();
      const result = await Promise.race([statement, late]);
      this.answered();
      return result;
    } catch (error) {
      // A statement that lost the race settles later: its rejection is not unhandled.
      statement?.then(undefined, () => {});
      if (!unavailable(error)) {
        this.answered();
        throw error;
      }
      const failure = new StorageUnavailableError(`Postgres is unavailable (${seam})`, {
        cause: error,
      });
      this.#outages.failed(this.#where, seam, failure);
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * `url` without its password or query (what reports and errors name); a multi-host URL keeps
 * its hosts. The authority ends at the first `/` or `?`, as postgres.js reads it.
 *
 * @example
 * ```ts
 * import { redactedUrl } from "./postgres_gate.ts";
 * redactedUrl("postgres://app:secret@db:5432/app?sslmode=require"); // "postgres://app@db:5432/app"
 * redactedUrl("postgres://app:secret@a:5432,b:5432/app"); // "postgres://app@a:5432,b:5432/app"
 * ```
 */
export function redactedUrl(url: string): string {
  const scheme = /^postgres(?:ql)?:\/\//i.exec(url)?.[0];
  if (scheme === undefined) return "postgres (unparsable URL)";
  const rest = url.slice(scheme.length);
  const authority = rest.split(/[?/]/)[0];
  const path = rest.slice(authority.length).split(/[?#]/)[0];
  const at = authority.lastIndexOf("@");
  const user = at < 0 ? "" : `${authority.slice(0, at).split(":")[0]}@`;
  const hosts = authority.slice(at + 1);
  // Each host is a name or [address] with a numeric port, if any: never a password's piece.
  const host = /^(?:\[[0-9a-f:.]+\]|[^\s:@,[\]]+)(?::\d{1,5})?$/i;
  if (hosts !== "" && !hosts.split(",").every((entry) => host.test(entry))) {
    return "postgres (unparsable URL)";
  }
  return `${scheme}${user}${hosts}${path}`;
}
