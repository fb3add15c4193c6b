/**
 * Storage doubles that fail on cue, for the fail-closed tests: wraps a real
 * session store, event log or message bus (the memory ones, usually) so
 * chosen methods reject at once, or wait until the test lets them go and
 * then reject (a late failure, as after a command deadline; a store that
 * never answers at all hangs its callers by design, so the Redis backend
 * bounds its commands), or take effect at once but answer only when the
 * test lets them go (a slow store, held by a latch rather than a delay).
 * Everything not told otherwise goes to the real one.
 * Also a trap for unhandled promise rejections on Node, Bun and Deno. Not a
 * test file itself.
 * @module
 */

import { StorageUnavailableError } from "../mod.ts";
import { sleep } from "./helpers.ts";

/**
 * How a method misbehaves: `reject` rejects at once; `held` waits for
 * {@linkcode Faults.release} and rejects; `late` runs the real method at once
 * (it takes effect) and answers its result only at {@linkcode Faults.release}.
 */
export type Fault = "reject" | "held" | "late";

/** The faults of one double (or several), by method name; calls are recorded. */
export class Faults {
  /** Every method called through a double, in order. */
  readonly calls: string[] = [];
  /** The calls that were made to fail (`reject`, `held`), in order. */
  readonly failed: string[] = [];
  #rules = new Map<string, { fault: Fault; times: number }>();
  #held: (() => void)[] = [];

  /** From now on, `method` fails with `fault` (for its next `times` calls). */
  set(method: string, fault: Fault, times = Infinity): void {
    this.#rules.set(method, { fault, times });
  }

  /** `method` (or every method) works again. */
  clear(method?: string): void {
    if (method === undefined) this.#rules.clear();
    else this.#rules.delete(method);
  }

  /** How many calls are waiting in a `held` or `late` fault. */
  get heldCount(): number {
    return this.#held.length;
  }

  /** Lets every waiting call go: a `held` one rejects, a `late` one answers. */
  release(): void {
    for (const settle of this.#held.splice(0)) settle();
  }

  /** The answer to a call of `method`: `call()` (the real method), or the fault's. */
  intercept<T>(method: string, call: () => T): T | Promise<never> | Promise<Awaited<T>> {
    this.calls.push(method);
    const rule = this.#rules.get(method);
    if (rule === undefined || rule.times <= 0) return call();
    rule.times--;
    if (rule.fault === "late") {
      return Promise.resolve(call()).then((result) =>
        new Promise<Awaited<T>>((resolve) => this.#held.push(() => resolve(result)))
      );
    }
    this.failed.push(method);
    const error = new StorageUnavailableError(`storage down (${method})`);
    if (rule.fault === "reject") return Promise.reject(error);
    return new Promise<never>((_, reject) => this.#held.push(() => reject(error)));
  }
}

/**
 * `inner`, with each method call going through `faults` first. Methods
 * `inner` lacks stay absent, and so do those named in `without` (optional
 * ones such as `appendMany`, to take the other code path).
 *
 * @example
 * ```ts
 * const faults = new Faults();
 * const log = faulty(new MemoryEventLog(), faults);
 * faults.set("open", "reject");
 * ```
 */
export function faulty<T extends object>(
  inner: T,
  faults: Faults,
  options: { without?: readonly string[] } = {},
): T {
  const without = new Set(options.without);
  return new Proxy(inner, {
    get(target, property) {
      if (typeof property === "string" && without.has(property)) return undefined;
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function" || typeof property !== "string") return value;
      return (...args: unknown[]) => faults.intercept(property, () => value.apply(target, args));
    },
  });
}

/** What {@linkcode trapUnhandledRejections} caught; `stop()` removes the trap. */
export interface RejectionTrap {
  readonly reasons: unknown[];
  stop(): void;
}

/**
 * Records unhandled promise rejections instead of letting them end the
 * process: `process.on("unhandledRejection")` on Node and Bun, the
 * `unhandledrejection` event on Deno. A test asserts `reasons` is empty.
 */
export function trapUnhandledRejections(): RejectionTrap {
  const reasons: unknown[] = [];
  const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  if (deno) {
    const listener = (event: Event) => {
      event.preventDefault();
      reasons.push((event as PromiseRejectionEvent).reason);
    };
    globalThis.addEventListener("unhandledrejection", listener);
    return { reasons, stop: () => globalThis.removeEventListener("unhandledrejection", listener) };
  }
  const listener = (reason: unknown) => void reasons.push(reason);
  process.on("unhandledRejection", listener);
  return { reasons, stop: () => void process.off("unhandledRejection", listener) };
}

/** Lets pending rejections surface: unhandled ones are reported after a macrotask or two. */
export async function settleRejections(): Promise<void> {
  for (let i = 0; i < 3; i++) await sleep(10);
}
