/**
 * One instance's side of the Postgres bus: it keeps the instance alive (its row of
 * `tether_bus_instances`, refreshed every third of `aliveMs`, with the records of the requests it
 * runs) and reads its inbox, oldest first, when woken by a `NOTIFY` and at least every
 * `pollIntervalMs`: a lost wake-up costs latency, never a message. A delivered row is deleted by
 * the next read (the same statement), so a read whose answer is lost is read again, not lost. A
 * failing read is retried, sooner than the poll at first. It does not route or publish
 * (postgres_bus.ts does).
 * @module
 */

import { unrefTimer } from "../../runtime.ts";
import { settledWithin } from "../../http/drained.ts";
import { StorageUnavailableError } from "../../storage_unavailable.ts";
import type { PostgresGate } from "../connection/postgres_gate.ts";

/** Rows one read takes at most (the next read follows at once when it was full). */
export const READ_BATCH = 256;

/** The first retry after a failed read, ms (doubling up to the poll interval). */
const RETRY_MIN_MS = 50;

/** close()'s wait for a read in flight, ms. */
const CLOSE_WAIT_MS = 2_000;

/** What an inbox needs. */
export interface InboxSetup {
  gate: PostgresGate;
  namespace: string;
  instanceId: string;
  pollMs: number;
  aliveMs: number;
  now: () => number;
  onError: (error: unknown) => void;
  /** Each message of another instance, as its JSON. */
  deliver: (body: string) => void;
  /** The requests this instance runs (owner key, request key), refreshed with its liveness. */
  tracked: () => [string, string][];
}

/**
 * The inbox of one instance: `start()` marks it alive and starts reading, `wake()` reads now,
 * `close()` stops and deletes what the instance left (its row, inbox, holds and records).
 *
 * @example
 * ```ts ignore (internal fragment: the bus makes its inbox)
 * const inbox = new BusInbox({ gate, namespace, instanceId, pollMs: 1_000, aliveMs: 15_000,
 *   now: Date.now, onError: console.error, deliver: console.log, tracked: () => [] });
 * await inbox.start();
 * ```
 */
export class BusInbox {
  readonly #setup: InboxSetup;
  /** Ids delivered since the last read that succeeded: the next read deletes them. */
  #delivered: string[] = [];
  #refreshDue = 0;
  /** True once a refresh wrote the instance's row (close deletes it). */
  #registered = false;
  #loop: Promise<void> | undefined;
  #stopped = false;
  #woken = false;
  #wakeSleeper: (() => void) | undefined;

  /** An inbox, not yet started. */
  constructor(setup: InboxSetup) {
    this.#setup = setup;
  }

  /** True once started and until closed. */
  get running(): boolean {
    return this.#loop !== undefined && !this.#stopped;
  }

  /** Marks the instance alive (rejects when Postgres does not answer), then reads in a loop. */
  async start(): Promise<void> {
    await this.#refresh();
    if (this.#loop === undefined && !this.#stopped) this.#loop = this.#read();
  }

  /** Reads now (a wake-up came), or right after the read in flight. */
  wake(): void {
    this.#woken = true;
    const wakeSleeper = this.#wakeSleeper;
    this.#wakeSleeper = undefined;
    wakeSleeper?.();
  }

  /** Stops reading and deletes the instance's rows (best effort: they expire anyway). */
  async close(): Promise<void> {
    this.#stopped = true;
    this.wake();
    if (this.#loop !== undefined) await settledWithin(this.#loop, CLOSE_WAIT_MS);
    if (!this.#registered) return;
    const { gate, namespace, instanceId } = this.#setup;
    await gate.run("bus", (sql) =>
      sql`WITH inbox AS (
        DELETE FROM tether_bus_messages WHERE namespace = ${namespace} AND instance_id = ${instanceId}
      ), holds AS (
        DELETE FROM tether_bus_holders WHERE namespace = ${namespace} AND instance_id = ${instanceId}
      ), runs AS (
        DELETE FROM tether_bus_requests WHERE namespace = ${namespace} AND instance_id = ${instanceId}
      )
      DELETE FROM tether_bus_instances WHERE namespace = ${namespace} AND id = ${instanceId}`)
      .catch(() => {/* the rows expire: a dead instance gets nothing meanwhile */});
  }

  /** The loop: refresh when due, read, sleep until woken or the poll interval passed. */
  async #read(): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    let failing = false;
    while (!this.#stopped) {
      this.#woken = false;
      let full = false;
      try {
        if (this.#setup.now() >= this.#refreshDue) await this.#refresh();
        full = await this.#readOnce() === READ_BATCH;
        failing = false;
        retryMs = RETRY_MIN_MS;
      } catch (error) {
        if (this.#stopped) break;
        // Outages are told once by the gate; anything else is a bug worth reporting once.
        if (!failing && !(error instanceof StorageUnavailableError)) this.#setup.onError(error);
        failing = true;
        await this.#sleep(Math.min(retryMs, this.#setup.pollMs));
        retryMs = Math.min(retryMs * 2, this.#setup.pollMs);
        continue;
      }
      if (full) continue;
      const untilRefresh = Math.max(1, this.#refreshDue - this.#setup.now());
      await this.#sleep(Math.min(this.#setup.pollMs, untilRefresh));
    }
  }

  /** One read: deletes what was delivered, delivers what is next; how many rows it read. */
  async #readOnce(): Promise<number> {
    const { gate, namespace, instanceId, now, deliver, onError } = this.#setup;
    // Ids are the table's bigints, digits only: the array literal needs no quoting.
    const done = `{${this.#delivered.join(",")}}`;
    const rows = await gate.run("bus", (sql) =>
      sql`WITH done AS (
        DELETE FROM tether_bus_messages
        WHERE namespace = ${namespace} AND instance_id = ${instanceId}
          AND id = ANY (${done}::text::bigint[])
      )
      SELECT id::text AS row_id, origin, body FROM tether_bus_messages
      WHERE namespace = ${namespace} AND instance_id = ${instanceId}
        AND expires_at > ${now()} AND NOT (id = ANY (${done}::text::bigint[]))
      ORDER BY id LIMIT ${READ_BATCH}`);
    this.#delivered = rows.map((row) => String(row.row_id));
    for (const row of rows) {
      if (this.#stopped) break;
      if (row.origin === instanceId) continue;
      try {
        deliver(String(row.body));
      } catch (error) {
        onError(error);
      }
    }
    return rows.length;
  }

  /** Marks the instance alive for `aliveMs`, and keeps the records of its requests. */
  async #refresh(): Promise<void> {
    const { gate, namespace, instanceId, aliveMs, now, tracked } = this.#setup;
    const at = now();
    const requests = JSON.stringify(tracked());
    await gate.run("bus", (sql) =>
      sql`WITH runs AS (
        UPDATE tether_bus_requests SET expires_at = ${at + 4 * aliveMs}
        WHERE namespace = ${namespace} AND instance_id = ${instanceId}
          AND (owner_key, request_key) IN (
            SELECT r ->> 0, r ->> 1 FROM json_array_elements(${requests}::text::json) AS r
          )
      )
      INSERT INTO tether_bus_instances (namespace, id, alive_until, expires_at)
      VALUES (${namespace}, ${instanceId}, ${at + aliveMs}, ${at + 4 * aliveMs})
      ON CONFLICT (namespace, id) DO UPDATE
      SET alive_until = excluded.alive_until, expires_at = excluded.expires_at`);
    this.#registered = true;
    this.#refreshDue = at + Math.max(1, Math.floor(aliveMs / 3));
  }

  /** Waits `ms`, or less when woken (not at all when a wake-up came during the last read). */
  #sleep(ms: number): Promise<void> {
    if (this.#woken || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeSleeper = undefined;
        resolve();
      }, ms);
      unrefTimer(timer);
      this.#wakeSleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
