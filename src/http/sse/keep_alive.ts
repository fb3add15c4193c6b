/**
 * One timer that writes `: keepalive` comments to a set of open SSE
 * connections: a handler's one timer for both eras (the sessionful streams
 * of the stream hub, the 2026-07-28 response and listen streams). A
 * connection leaves the set when it ends; the timer stops when the set is
 * empty and never keeps the process alive. Listeners learn, after each
 * beat, which connections took it (the sessionful era keeps their sessions
 * alive); this module knows no session.
 * @module
 */

import type { SseConnection } from "./sse_connection.ts";
import { unrefTimer } from "../../runtime.ts";

/** Told after each beat which connections took it. */
export type BeatListener = (written: ReadonlySet<SseConnection>) => void;

/** Heartbeats for a changing set of connections. */
export class KeepAlive {
  #connections = new Set<SseConnection>();
  #listeners: BeatListener[] = [];
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

  /** Calls `listener` after each beat with the connections that took it. */
  onBeat(listener: BeatListener): void {
    this.#listeners.push(listener);
  }

  /** Stops the timer and forgets every connection. */
  stop(): void {
    this.#connections.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #beat(): void {
    const written = new Set<SseConnection>();
    for (const connection of this.#connections) {
      if (connection.ended || !connection.writeRaw(": keepalive\n\n")) {
        this.#connections.delete(connection);
      } else written.add(connection);
    }
    for (const listener of this.#listeners) listener(written);
    if (this.#connections.size === 0) this.stop();
  }
}
