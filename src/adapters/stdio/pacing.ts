/**
 * Keeps a call's answer from reaching a stdio client in the same read as
 * the progress notification written just before it: the official SDK
 * clients run notification handlers a microtask late but drop a call's
 * progress handler as soon as its answer is read, so progress read with
 * the answer is lost. In a 2025 session the answer waits for the client's
 * reply to a `ping` written after the progress (the client has then
 * handled it); a 2026-07-28 server sends the client no requests, so there
 * the answer waits a pause instead. Neither delays anything else.
 * @module
 */

import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { WriteLine } from "./answers.ts";

/** The longest a 2025 answer waits for the client's reply to its `ping`. */
const PING_WAIT_MS = 1_000;
const PING_ID_PREFIX = "tether-stdio-pace-";

/** What a {@linkcode ProgressPacer} needs. */
export interface ProgressPacerOptions {
  /** Writes a line (the `ping`). */
  write: WriteLine;
  /** Resolves once what was written has been handed to the system. */
  flush: () => Promise<void>;
  /** The pause after a progress notification, for 2026-07-28 calls. */
  paceMs: number;
}

/**
 * Paces answers after progress: {@linkcode acknowledged} for a 2025 session
 * (a `ping` round trip), {@linkcode paused} for 2026-07-28 (a pause);
 * {@linkcode receive} takes the client's replies to the pings.
 *
 * @example
 * ```ts
 * import { ProgressPacer } from "./pacing.ts";
 * const lines: string[] = [];
 * const pacer = new ProgressPacer({
 *   write: (line) => void lines.push(line),
 *   flush: () => Promise.resolve(),
 *   paceMs: 10,
 * });
 * const acked = pacer.acknowledged();
 * await Promise.resolve(); // the ping is written once the progress is flushed
 * pacer.receive({ jsonrpc: "2.0", id: JSON.parse(lines[0]).id, result: {} });
 * await acked;
 * ```
 */
export class ProgressPacer {
  #options: ProgressPacerOptions;
  #next = 0;
  /** Pings written and not yet answered, by id. */
  #pings = new Map<string, () => void>();

  constructor(options: ProgressPacerOptions) {
    this.#options = options;
  }

  /**
   * Resolves when the client has answered a `ping` written now (after the
   * progress was flushed), or after {@linkcode PING_WAIT_MS} without one.
   */
  async acknowledged(): Promise<void> {
    await this.#options.flush();
    const id = `${PING_ID_PREFIX}${this.#next++}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = new Promise<void>((resolve) => {
      this.#pings.set(id, resolve);
      timer = setTimeout(resolve, PING_WAIT_MS);
    });
    this.#options.write(JSON.stringify({ jsonrpc: "2.0", id, method: "ping" }));
    try {
      await answered;
    } finally {
      clearTimeout(timer);
      this.#pings.delete(id);
    }
  }

  /** Resolves `paceMs` after `writtenAt` (a `Date.now()`), once the progress was flushed. */
  async paused(writtenAt: number): Promise<void> {
    await this.#options.flush();
    const wait = writtenAt + this.#options.paceMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /**
   * True when `message` is the client's reply to one of the pings, even a
   * late one (it is then taken, never posted to the handler).
   */
  receive(message: unknown): boolean {
    if (!isPlainObject(message) || typeof message.id !== "string") return false;
    if (!message.id.startsWith(PING_ID_PREFIX) || "method" in message) return false;
    this.#pings.get(message.id)?.();
    return true;
  }
}
