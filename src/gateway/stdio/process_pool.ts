/**
 * The bound on a gateway's stdio subprocesses: how many may run for callers
 * at once, in all and per principal (anonymous callers share one share),
 * and the idle close that ends a process no call has used for a while (the
 * next call opens a new one). One timer sweeps every process, running only
 * while some live. The discovery sessions' processes (one per stdio
 * upstream) are exempt: they are not a caller's to multiply. What else
 * must end when the gateway closes (a 2026-07-28 stdio upstream's
 * processes, which no session holds) registers with {@linkcode ProcessPool.closing}.
 * @module
 */

import { ownerKeyOf, type Principal } from "../../protocol/context/request_context.ts";
import { unrefTimer } from "../../runtime.ts";
import { CAP_RETRY_AFTER_SECONDS } from "../admission.ts";
import { GatewayBusyError } from "../sessions/upstream_sessions.ts";

/** The bounds of a gateway's stdio processes. */
export interface ProcessPoolSettings {
  /** Processes run for callers at once, across every stdio upstream. */
  maxProcesses: number;
  /** Processes run for one principal at once (anonymous callers together). */
  maxProcessesPerPrincipal: number;
  /** Time unused after which a process is ended, ms (`Infinity`: never). */
  idleCloseMs: number;
  /** How long an idle process gets to exit when asked before it is killed, ms. */
  graceMs: number;
  /** The principal whose processes are neither counted nor closed when idle (the gateway's own). */
  exempt: Principal;
  /** The clock. */
  now(): number;
}

/** What the pool needs of a live process. */
export interface PooledProcess {
  /** True while it starts, a request either way awaits its answer, or a subscription is held. */
  readonly busy: boolean;
  /** When a message last passed either way (the pool's clock). */
  readonly lastActive: number;
  /** Ends it for being idle: its session ends now, the process gets `graceMs`, then is killed. */
  retire(graceMs: number): void;
}

/**
 * The stdio processes of one gateway.
 *
 * @example
 * ```ts
 * import { ProcessPool } from "./process_pool.ts";
 * const pool = new ProcessPool({
 *   maxProcesses: 64,
 *   maxProcessesPerPrincipal: 16,
 *   idleCloseMs: 60_000,
 *   graceMs: 5_000,
 *   exempt: { id: "tether-gateway" },
 *   now: Date.now,
 * });
 * console.log(pool.live); // 0
 * ```
 */
export class ProcessPool {
  readonly #settings: ProcessPoolSettings;
  readonly #live = new Set<PooledProcess>();
  readonly #heldBy = new Map<string, number>();
  readonly #closers = new Set<(graceMs: number) => Promise<void>>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** A pool bounded by `settings`. */
  constructor(settings: ProcessPoolSettings) {
    for (const key of ["maxProcesses", "maxProcessesPerPrincipal"] as const) {
      const value = settings[key];
      if (!Number.isInteger(value) || value < 1) {
        throw new TypeError(`Gateway: ${key} must be a positive integer, got ${value}`);
      }
    }
    if (!(settings.idleCloseMs > 0)) {
      throw new TypeError(
        `Gateway: stdioIdleCloseMs must be a positive number of ms (or Infinity), got ${settings.idleCloseMs}`,
      );
    }
    this.#settings = settings;
  }

  /** Processes running for callers now (exempt ones not counted). */
  get live(): number {
    return this.#live.size;
  }

  /** The principal whose processes are not counted (the gateway's own). */
  get exempt(): Principal {
    return this.#settings.exempt;
  }

  /** How long a process asked to end gets before it is killed, ms. */
  get graceMs(): number {
    return this.#settings.graceMs;
  }

  /** Registers `closer`, run by {@linkcode ProcessPool.close} with its grace. */
  closing(closer: (graceMs: number) => Promise<void>): void {
    this.#closers.add(closer);
  }

  /** The clock activity is stamped with. */
  get now(): () => number {
    return this.#settings.now;
  }

  /**
   * Takes a place for `process`, about to start for `principal`; throws a
   * {@linkcode GatewayBusyError} when a bound is reached. The returned
   * function gives the place back (once): call it when the process exited.
   */
  admit(principal: Principal, process: PooledProcess): () => void {
    if (principal === this.#settings.exempt) return () => {};
    const { maxProcesses, maxProcessesPerPrincipal } = this.#settings;
    if (this.#live.size >= maxProcesses) {
      throw new GatewayBusyError(
        `The gateway runs its limit of ${maxProcesses} upstream processes`,
        CAP_RETRY_AFTER_SECONDS,
      );
    }
    const owner = ownerKeyOf(principal);
    const held = this.#heldBy.get(owner) ?? 0;
    if (held >= maxProcessesPerPrincipal) {
      throw new GatewayBusyError(
        `Too many upstream processes for this caller (limit ${maxProcessesPerPrincipal})`,
        CAP_RETRY_AFTER_SECONDS,
      );
    }
    this.#live.add(process);
    this.#heldBy.set(owner, held + 1);
    this.#startSweeping();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#live.delete(process);
      const left = (this.#heldBy.get(owner) ?? 1) - 1;
      if (left === 0) this.#heldBy.delete(owner);
      else this.#heldBy.set(owner, left);
      if (this.#live.size === 0) this.#stopSweeping();
    };
  }

  /** Retires every process unused for `idleCloseMs` with no request in flight. */
  sweep(): void {
    const cutoff = this.#settings.now() - this.#settings.idleCloseMs;
    for (const process of this.#live) {
      if (!process.busy && process.lastActive <= cutoff) process.retire(this.#settings.graceMs);
    }
  }

  /**
   * Stops the sweeps and runs the registered closers with `graceMs` (the
   * gateway closes its sessions, and so their processes, itself).
   */
  async close(graceMs: number = this.#settings.graceMs): Promise<void> {
    this.#stopSweeping();
    await Promise.all([...this.#closers].map((closer) => closer(graceMs)));
  }

  #startSweeping(): void {
    const idleCloseMs = this.#settings.idleCloseMs;
    if (this.#timer !== undefined || idleCloseMs === Infinity) return;
    // A process is ended between idleCloseMs and 1.5 × idleCloseMs unused (at most 30 s late).
    this.#timer = setInterval(() => this.sweep(), Math.min(idleCloseMs / 2, 30_000));
    unrefTimer(this.#timer);
  }

  #stopSweeping(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
