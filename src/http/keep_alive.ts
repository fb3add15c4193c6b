/**
 * One timer that writes `: keepalive` comments to a set of open SSE
 * connections (the 2026-07-28 response and listen streams; the sessionful
 * streams have their own in the stream hub). A connection leaves the set when
 * it ends; the timer stops when the set is empty and never keeps the process
 * alive.
 * @module
 */

import type { SseConnection } from "./sse_connection.ts";
import { unrefTimer } from "../runtime.ts";

/** Heartbeats for a changing set of connections. */
export class KeepAlive {
  #connections = new Set<SseConnection>();
  #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `intervalMs` 0 disables heartbeats. */
  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** Starts heartbeating `connection` until it ends or is removed. */
  add(connection: SseConnection): void {
    if (this.#intervalMs <= 0 || connection.ended) return;
    this.#connections.add(connection);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#beat(), this.#intervalMs);
      unrefTimer(this.#timer);
    }
  }

  /** Stops heartbeating `connection`. */
  remove(connection: SseConnection): void {
    this.#connections.delete(connection);
  }

  /** Stops the timer and forgets every connection. */
  stop(): void {
    this.#connections.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #beat(): void {
    for (const connection of this.#connections) {
      if (connection.ended || !connection.writeRaw(": keepalive\n\n")) {
        this.#connections.delete(connection);
      }
    }
    if (this.#connections.size === 0) this.stop();
  }
}
