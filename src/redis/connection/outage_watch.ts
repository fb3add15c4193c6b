/**
 * The Redis backend's storage faults, told once per outage: every command of
 * every seam (the shared client's and the connections of its own) passes a
 * watch that names where it went (the server, or on a Cluster the master
 * owning its key's slot) and feeds {@linkcode StorageOutages}. A failure to
 * reach Redis becomes a {@linkcode StorageUnavailableError} (the handler
 * answers `503`); a reply error to a command Redis ran stays as it is (a
 * bug, not an outage) and counts as Redis answering. It retries nothing.
 * @module
 */

import { ErrorReply } from "redis";
import { StorageUnavailableError } from "../../storage_unavailable.ts";
import { StorageOutages, toldInOutage } from "../../storage_outages.ts";
import type { OpenRedisConnection, RedisCommands } from "./redis_commands.ts";
import type { ClusterPlaces } from "./redis_sources.ts";

/**
 * Reply errors that mean "not now" rather than "wrong command": a Redis
 * loading, failing over, read-only, busy, or full (`OOM` under
 * `maxmemory-policy noeviction`).
 */
const TRANSIENT_REPLY = /^(LOADING|MASTERDOWN|READONLY|MISCONF|BUSY|TRYAGAIN|CLUSTERDOWN|OOM)\b/;

/** The storage seams of the backend, as the reports name them. */
export type RedisSeam =
  | "session store"
  | "event log"
  | "bus"
  | "task store"
  | "rate-limit store"
  | "DPoP replay store"
  | "connection"
  | "replication";

/**
 * One backend's outages: where each command went, reported to `onError`
 * once when a place stops answering and once when it answers again.
 *
 * @example
 * ```ts ignore (internal: needs a connected Redis client and the backend's error sink)
 * const watch = new OutageWatch("redis://127.0.0.1:6379", onError);
 * const sessions = watch.failingClosed(client, "session store");
 * ```
 */
export class OutageWatch {
  readonly #where: string;
  /** The place of connections that cannot be opened while the server answers. */
  readonly #opening: string;
  readonly #outages: StorageOutages;
  #places: ClusterPlaces | undefined;

  /** The watch of the backend at `where` (no secrets), reporting to `onError`. */
  constructor(where: string, onError: (error: unknown) => void, now?: () => number) {
    this.#where = where;
    this.#opening = `new connections to ${where}`;
    this.#outages = new StorageOutages(onError, now);
  }

  /** A Cluster's map of slots to masters: from now on each failure is told per master. */
  learn(places: ClusterPlaces | undefined): void {
    this.#places ??= places;
  }

  /**
   * `commands` for `seam`, each failure to reach Redis turned into a
   * {@linkcode StorageUnavailableError} and told once per outage.
   */
  failingClosed(commands: RedisCommands, seam: RedisSeam): RedisCommands {
    return {
      sendCommand: async (args) => {
        let reply: unknown;
        try {
          reply = await commands.sendCommand(args);
        } catch (error) {
          if (error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)) {
            this.answered(args);
            throw error;
          }
          const failure = new StorageUnavailableError(`Redis is unreachable (${args[0]})`, {
            cause: error,
          });
          this.#outages.failed(this.#placeOf(args), seam, failure);
          throw failure;
        }
        this.answered(args);
        return reply;
      },
    };
  }

  /**
   * `open`, its connections' commands (blocking reads) told for `seam` as
   * they fail. Their successes end no outage: the shared client, which
   * serves the requests, may still be reconnecting when a fresh connection
   * already answers. A connection that cannot be opened while the server
   * is not out is an outage of its own (`new connections to …`, a full
   * `maxclients`), ended by a connection opened.
   */
  watchedOpener(open: OpenRedisConnection, seam: RedisSeam): OpenRedisConnection {
    const opening = this.#opening;
    return async (place) => {
      let connection;
      try {
        connection = await open(place);
      } catch (error) {
        const out = this.#outages.out();
        this.#outages.failed(out.length === 0 ? opening : out[0], seam, error);
        throw error;
      }
      if (this.#outages.anyOut) this.#outages.answered(opening);
      return {
        close: () => connection.close(),
        sendCommand: async (args) => {
          try {
            return await connection.sendCommand(args);
          } catch (error) {
            if (!(error instanceof ErrorReply) || TRANSIENT_REPLY.test(error.message)) {
              this.#outages.failed(this.#placeOf(args), seam, error);
            }
            throw error;
          }
        },
      };
    };
  }

  /**
   * A client's connection error (node-redis reports each reconnect
   * attempt): opens an outage of the server, counted as no command. A
   * Cluster client's are left to the commands, which name their master.
   */
  connectionFailed(error: unknown): void {
    if (this.#places === undefined) this.#outages.failed(this.#where, "connection", error, false);
  }

  /**
   * A `WAIT` for a replica (`args`, as sent) answered: `lagging` when no
   * replica acknowledged in time, an outage of the replicas of where it
   * went (`replicas of …`) told once, ended by the next acknowledgement.
   */
  replicas(args: readonly string[], lagging: StorageUnavailableError | undefined): void {
    const place = `replicas of ${this.#placeOf(args)}`;
    if (lagging !== undefined) this.#outages.failed(place, "replication", lagging);
    else if (this.#outages.anyOut) this.#outages.answered(place);
  }

  /** Reports `error` to `onError` unless an outage report counted it already. */
  filtered(onError: (error: unknown) => void): (error: unknown) => void {
    return (error) => {
      if (!toldInOutage(error)) onError(error);
    };
  }

  /**
   * Redis answered `args`: ends the outage of where it went; on a Cluster
   * also those of masters whose slots another master serves now (failed
   * over).
   */
  answered(args: readonly string[]): void {
    if (!this.#outages.anyOut) return;
    this.#outages.answered(this.#placeOf(args));
    const places = this.#places;
    if (places === undefined) return;
    const masters = places.masters();
    for (const out of this.#outages.out()) {
      const master = out !== this.#where && out !== this.#opening &&
        !out.startsWith("replicas of ");
      if (master && !masters.includes(out)) this.#outages.answered(out);
    }
  }

  /** Where `args` goes: the Cluster master of its key's slot, else the backend's server. */
  #placeOf(args: readonly string[]): string {
    return this.#places?.masterOf(args) ?? this.#where;
  }
}
