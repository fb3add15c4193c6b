/**
 * A deadline for Redis commands: a Redis that stops answering (paused,
 * overloaded, or behind a partition that keeps the TCP connection) fails
 * each command with a {@linkcode StorageUnavailableError} instead of hanging
 * the request that waits on it. node-redis's own command timeout cannot do
 * this: it only bounds the wait to be written, not the wait for the reply.
 * A blocking read (`… BLOCK <ms> …`) gets its block time on top. One
 * interval timer serves every command in flight, ticking four times per
 * deadline, so a command fails between the deadline and 1.25 × it (never
 * before it, on the local monotonic clock). A command is not cancelled in
 * Redis: its late reply is read and dropped. A fenced write script
 * (lua_script.ts) gets its deadline on Redis's clock (redis_clock.ts), a
 * little before the local one, and writes nothing once it has passed: a
 * write answered 503 here ran before that answer or never runs.
 * @module
 */

import { StorageUnavailableError } from "../../storage_unavailable.ts";
import { unrefTimer } from "../../runtime.ts";
import type { RedisCommands } from "./redis_commands.ts";
import { FENCED_CALLS, LATE_REPLY } from "./lua_script.ts";
import { RedisClocks } from "./redis_clock.ts";

const TICKS_PER_DEADLINE = 4;
/**
 * How much earlier than the local deadline a fenced script stops writing,
 * ms (a quarter of the deadline when that is less): room for the script's
 * own run and for the clocks' drift between readings.
 */
const FENCE_MARGIN_MS = 10;

interface Waiting {
  /** The tick after which the command has run out of time. */
  lastTick: number;
  /** When it was sent, and how long it may wait, on the local monotonic clock. */
  sentAt: number;
  allowedMs: number;
  command: string;
  reject: (error: unknown) => void;
}

/** Options of {@linkcode CommandDeadline}. */
export interface CommandDeadlineOptions {
  /** The master a command goes to (a Cluster's `host:port`), for its clock; `""` for one master. */
  placeOf?: (args: readonly string[]) => string;
  /** The local monotonic clock, ms. */
  now?: () => number;
}

/** Commands in flight and the one timer that fails those past their deadline. */
export class CommandDeadline {
  readonly #deadlineMs: number;
  readonly #tickMs: number;
  readonly #placeOf: (args: readonly string[]) => string;
  readonly #now: () => number;
  readonly #clocks: RedisClocks;
  #ticks = 0;
  #waiting = new Set<Waiting>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** A deadline of `deadlineMs` for every command sent through {@linkcode wrap}. */
  constructor(deadlineMs: number, options: CommandDeadlineOptions = {}) {
    this.#deadlineMs = deadlineMs;
    this.#tickMs = Math.max(1, Math.floor(deadlineMs / TICKS_PER_DEADLINE));
    this.#placeOf = options.placeOf ?? (() => "");
    this.#now = options.now ?? (() => performance.now());
    this.#clocks = new RedisClocks(deadlineMs, this.#now);
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
        sentAt: this.#now(),
        allowedMs,
        command: args[0],
        reject,
      };
      this.#waiting.add(waiting);
      this.#ensureTimer();
      const sending = FENCED_CALLS.has(args)
        ? this.#sendFenced(commands, args, waiting)
        : commands.sendCommand(args);
      sending.then(
        (reply) => {
          this.#waiting.delete(waiting);
          resolve(reply);
        },
        (error) => {
          this.#waiting.delete(waiting);
          reject(this.#late(error, args));
        },
      );
    });
  }

  /** A fenced script's call with its deadline slot filled: the local deadline on Redis's clock. */
  async #sendFenced(
    commands: RedisCommands,
    args: string[],
    waiting: Waiting,
  ): Promise<unknown> {
    const keyCount = Number(args[2]);
    const margin = Math.min(FENCE_MARGIN_MS, waiting.allowedMs / 4);
    const until = await this.#clocks.toRedis(
      commands,
      this.#placeOf(args),
      keyCount > 0 ? args[3] : undefined,
      waiting.sentAt + waiting.allowedMs - margin,
    );
    // Answered already while the clock was read: the write is never sent.
    if (!this.#waiting.has(waiting)) return undefined;
    const call = args.slice();
    call[3 + keyCount] = until.toFixed(3);
    return await commands.sendCommand(call);
  }

  /** A fenced script's refusal as storage unavailable (its master's clock is read again). */
  #late(error: unknown, args: string[]): unknown {
    if (!(error instanceof Error) || !error.message.startsWith(LATE_REPLY)) return error;
    this.#clocks.forget(this.#placeOf(args));
    return new StorageUnavailableError(`Redis ran ${args[0]} past its deadline`, { cause: error });
  }

  #ensureTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.#tickMs);
    unrefTimer(this.#timer);
  }

  #tick(): void {
    const now = ++this.#ticks;
    const at = this.#now();
    for (const waiting of this.#waiting) {
      // An interval may fire a little early: never before the deadline on the clock.
      if (waiting.lastTick >= now || at - waiting.sentAt < waiting.allowedMs) continue;
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
