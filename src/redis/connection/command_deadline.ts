/**
 * A deadline for Redis commands: a Redis that stops answering (paused,
 * overloaded, or behind a partition that keeps the TCP connection) fails
 * each command with a {@linkcode StorageUnavailableError} instead of hanging
 * the request that waits on it. node-redis's own command timeout cannot do
 * this: it only bounds the wait to be written, not the wait for the reply.
 * A blocking read (`… BLOCK <ms> …`) gets its block time on top. One
 * interval timer serves every command in flight, ticking four times per
 * deadline, so a command fails between the deadline and 1.25 × it. This does
 * not cancel the command in Redis: its late reply is read and dropped.
 * @module
 */

import { StorageUnavailableError } from "../../storage_unavailable.ts";
import { unrefTimer } from "../../runtime.ts";
import type { RedisCommands } from "./redis_commands.ts";

const TICKS_PER_DEADLINE = 4;

interface Waiting {
  /** The tick after which the command has run out of time. */
  lastTick: number;
  command: string;
  reject: (error: unknown) => void;
}

/** Commands in flight and the one timer that fails those past their deadline. */
export class CommandDeadline {
  readonly #deadlineMs: number;
  readonly #tickMs: number;
  #ticks = 0;
  #waiting = new Set<Waiting>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** A deadline of `deadlineMs` for every command sent through {@linkcode wrap}. */
  constructor(deadlineMs: number) {
    this.#deadlineMs = deadlineMs;
    this.#tickMs = Math.max(1, Math.floor(deadlineMs / TICKS_PER_DEADLINE));
  }

  /** `commands`, each of whose commands fails once it has waited past the deadline. */
  wrap(commands: RedisCommands): RedisCommands {
    return { sendCommand: (args) => this.#send(commands, args) };
  }

  #send(commands: RedisCommands, args: string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const allowedMs = this.#deadlineMs + blockMsOf(args);
      const waiting: Waiting = {
        lastTick: this.#ticks + Math.ceil(allowedMs / this.#tickMs),
        command: args[0],
        reject,
      };
      this.#waiting.add(waiting);
      this.#ensureTimer();
      commands.sendCommand(args).then(
        (reply) => {
          this.#waiting.delete(waiting);
          resolve(reply);
        },
        (error) => {
          this.#waiting.delete(waiting);
          reject(error);
        },
      );
    });
  }

  #ensureTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.#tickMs);
    unrefTimer(this.#timer);
  }

  #tick(): void {
    const now = ++this.#ticks;
    for (const waiting of this.#waiting) {
      if (waiting.lastTick >= now) continue;
      this.#waiting.delete(waiting);
      waiting.reject(
        new StorageUnavailableError(
          `Redis did not answer ${waiting.command} within ${this.#deadlineMs} ms`,
        ),
      );
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

/**
 * The block time of a blocking read (`XREAD … BLOCK <ms>`) or of a
 * `WAIT <replicas> <ms>`, or 0. `BLOCK 0` (forever) gets no extra time: never sent.
 * Only `XREAD`/`XREADGROUP` take `BLOCK`: other commands' arguments (a
 * script's events, say) are not scanned.
 */
function blockMsOf(args: readonly string[]): number {
  const command = args[0].toUpperCase();
  if (command === "WAIT") {
    const ms = Number(args[2]);
    return Number.isFinite(ms) && ms > 0 ? ms : 0;
  }
  if (command !== "XREAD" && command !== "XREADGROUP") return 0;
  for (let i = 1; i < args.length - 1; i++) {
    if (args[i].toUpperCase() === "BLOCK") {
      const ms = Number(args[i + 1]);
      return Number.isFinite(ms) && ms > 0 ? ms : 0;
    }
  }
  return 0;
}
