/**
 * The open SSE connections of the stream hub (stream_hub.ts), each with the
 * session it serves: they join the handler's keep-alive while open, and each
 * heartbeat tells `onHeartbeat` which sessions took it. It opens, counts and
 * closes connections; it does not index, log or resume streams.
 * @module
 */

import type { SseMessage } from "../../http/sse/sse.ts";
import {
  type ConnectionEnd,
  type ConnectionWatcher,
  SseConnection,
} from "../../http/sse/sse_connection.ts";
import type { KeepAlive } from "../../http/sse/keep_alive.ts";
import type { LogicalStream } from "./logical_stream.ts";

/**
 * Settings of {@linkcode StreamConnections}: the stream hub's own.
 *
 * @example
 * ```ts
 * import type { StreamConnectionsOptions } from "./stream_connections.ts";
 * import { KeepAlive } from "../../http/sse/keep_alive.ts";
 * const options: StreamConnectionsOptions = {
 *   keepAlive: new KeepAlive(15_000),
 *   maxBufferedBytes: 1024 * 1024,
 * };
 * ```
 */
export interface StreamConnectionsOptions {
  /** The heartbeats of this process's SSE connections (shared with the 2026-07-28 streams). */
  keepAlive: KeepAlive;
  /** Bytes one connection may queue before it is dropped. */
  maxBufferedBytes: number;
  /** Told, each heartbeat, which sessions have open connections (to keep them alive). */
  onHeartbeat?: (sessionIds: Iterable<string>) => void;
  /** Told when a connection ends because its client went away or stopped reading. */
  onDropped?: (reason: "client-gone" | "overflow") => void;
}

/**
 * The open connections of a hub's streams, by the session each serves.
 *
 * @example
 * ```ts
 * import { StreamConnections } from "./stream_connections.ts";
 * import { KeepAlive } from "../../http/sse/keep_alive.ts";
 * const connections = new StreamConnections({
 *   keepAlive: new KeepAlive(15_000),
 *   maxBufferedBytes: 1024 * 1024,
 *   onHeartbeat: (sessionIds) => console.log([...sessionIds]), // the sessions kept alive
 * });
 * connections.size; // 0: a stream's connection opens with `connections.open(stream, first)`
 * ```
 */
export class StreamConnections {
  #options: StreamConnectionsOptions;
  /** The session each open connection serves. */
  #sessions = new Map<SseConnection, string>();

  /** Open connections get heartbeats from `options.keepAlive`. */
  constructor(options: StreamConnectionsOptions) {
    this.#options = options;
    options.keepAlive.onBeat((written) => this.#heartbeat(written));
  }

  /** Open connections. */
  get size(): number {
    return this.#sessions.size;
  }

  /** The sessions of the open connections (one per connection). */
  sessionIds(): Iterable<string> {
    return this.#sessions.values();
  }

  /**
   * A connection for `stream`, starting with `first` (a priming event) or
   * the default comment: attached to the stream, in the keep-alive.
   */
  open(stream: LogicalStream, first: SseMessage | undefined): SseConnection {
    const connection = new SseConnection({
      maxBufferedBytes: this.#options.maxBufferedBytes,
      first,
      watcher: new StreamConnectionWatcher(this, stream),
    });
    this.#sessions.set(connection, stream.sessionId);
    stream.attach(connection);
    this.#options.keepAlive.add(connection);
    return connection;
  }

  /** Counts `connection` (opened elsewhere: a resume's) as serving `sessionId`. */
  track(connection: SseConnection, sessionId: string): void {
    this.#sessions.set(connection, sessionId);
  }

  /** Stops counting `connection` (it ended). */
  untrack(connection: SseConnection): void {
    this.#sessions.delete(connection);
  }

  /** A connection of `stream` ended: it leaves the count, the keep-alive and the stream. */
  ended(stream: LogicalStream, connection: SseConnection, reason: ConnectionEnd): void {
    this.#sessions.delete(connection);
    this.#options.keepAlive.remove(connection);
    stream.detach(connection);
    if (reason !== "closed") this.#options.onDropped?.(reason);
  }

  /** Closes the open connections of `sessionId`. */
  closeSession(sessionId: string): void {
    for (const [connection, owner] of [...this.#sessions]) {
      if (owner === sessionId) connection.close();
    }
  }

  /** Closes every open connection (each leaves the keep-alive as it ends). */
  closeAll(): void {
    for (const connection of [...this.#sessions.keys()]) connection.close();
  }

  /** After a heartbeat: the sessions whose connections here took it are told to `onHeartbeat`. */
  #heartbeat(written: ReadonlySet<SseConnection>): void {
    const sessions = new Set<string>();
    for (const connection of written) {
      const sessionId = this.#sessions.get(connection);
      if (sessionId !== undefined) sessions.add(sessionId);
    }
    if (sessions.size > 0) this.#options.onHeartbeat?.(sessions);
  }
}

/** Tells the connections a stream's one ended: two fields, not a closure and its context (issue 46). */
class StreamConnectionWatcher implements ConnectionWatcher {
  readonly connections: StreamConnections;
  readonly stream: LogicalStream;

  constructor(connections: StreamConnections, stream: LogicalStream) {
    this.connections = connections;
    this.stream = stream;
  }

  connectionEnded(connection: SseConnection, reason: ConnectionEnd): void {
    this.connections.ended(this.stream, connection, reason);
  }
}
