/**
 * The Redis connections the event log's followers block on (`XREAD BLOCK`
 * holds a connection for the length of its wait, so it cannot share the
 * client's): opened on demand with `openConnection`, kept idle for the next
 * read, at most `maxConnections` at once. Past the cap, or without
 * `openConnection`, there is none to lend and the follower polls.
 * Internal to the Redis backends.
 *
 * It does not read: event_log_tails.ts does, on what it borrows here.
 * @module
 */

import type { OpenRedisConnection, RedisConnection } from "../connection/redis_commands.ts";

/** A pool of blocking connections. */
export class TailConnections {
  #openConnection: OpenRedisConnection | undefined;
  #maxConnections: number;
  /** Idle blocking connections, and every one opened (to close them). */
  #idle: RedisConnection[] = [];
  #connections = new Set<RedisConnection>();
  /** Connections being opened (they count against the cap). */
  #connecting = 0;
  #closed = false;

  /** A pool opening connections with `openConnection` (none without it), at most `maxConnections`. */
  constructor(openConnection: OpenRedisConnection | undefined, maxConnections: number) {
    this.#openConnection = openConnection;
    this.#maxConnections = maxConnections;
  }

  /** An idle blocking connection, a new one under the cap, or undefined (poll). */
  async borrow(): Promise<RedisConnection | undefined> {
    if (this.#openConnection === undefined || this.#closed) return undefined;
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#connections.size + this.#connecting >= this.#maxConnections) return undefined;
    this.#connecting++;
    let connection: RedisConnection;
    try {
      connection = await this.#openConnection();
    } finally {
      this.#connecting--;
    }
    this.#connections.add(connection);
    if (this.#closed) {
      this.discard(connection);
      return undefined;
    }
    return connection;
  }

  /** Gives a borrowed connection back after a read that succeeded. */
  release(connection: RedisConnection): void {
    if (this.#closed) this.discard(connection);
    else this.#idle.push(connection);
  }

  /** Closes a borrowed connection (its read failed: its state is unknown). */
  discard(connection: RedisConnection): void {
    this.#connections.delete(connection);
    void connection.close().catch(() => {});
  }

  /** Closes every connection; later borrows get none. */
  async close(): Promise<void> {
    this.#closed = true;
    const connections = [...this.#connections];
    this.#connections.clear();
    this.#idle = [];
    await Promise.all(connections.map((connection) => connection.close().catch(() => {})));
  }
}
