/**
 * Storage faults reported once per outage, not once per refused request:
 * the first failure of a place (a Redis node, a Cluster master) opens its
 * outage and is reported as one short {@linkcode StorageOutageError}; the
 * failures after it are only counted (and marked, so the handler's
 * `onError` skips them); the first success there ends it with one
 * {@linkcode StorageRecoveredError}. It decides what to report, not where:
 * the caller's `report` is the channel. Pure, with an injected clock.
 * @module
 */

/** Errors (and the errors they wrap) already told as part of an outage. */
const told = new WeakSet<object>();

/**
 * True when `error`, or an error it wraps (`cause`, three deep), was counted
 * in an outage that was reported already: it is not reported again.
 *
 * @example
 * ```ts
 * import { toldInOutage } from "./storage_outages.ts";
 * toldInOutage(new Error("unrelated")); // false
 * ```
 */
export function toldInOutage(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 4; depth++) {
    if (typeof current !== "object" || current === null) return false;
    if (told.has(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** An error's class and message on one line, shortened to `max` characters. */
function describe(error: unknown, max = 200): string {
  const text = error instanceof Error
    ? `${error.name}: ${error.message}${
      error.cause instanceof Error ? ` (${error.cause.name}: ${error.cause.message})` : ""
    }`
    : String(error);
  const line = text.replace(/\s+/g, " ");
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * Reported once when a storage place stops answering: it names the place,
 * the seam whose command failed first and that failure's class and message.
 * Its stack is its message alone (a logger prints one line).
 *
 * @example
 * ```ts
 * import { StorageOutageError, StorageRecoveredError } from "@tether/mcp/storage";
 * const onError = (error: unknown) => {
 *   if (error instanceof StorageOutageError || error instanceof StorageRecoveredError) {
 *     console.warn(error.message);
 *   } else console.error(error);
 * };
 * ```
 */
export class StorageOutageError extends Error {
  /** The place that stopped answering (a redacted URL, a Cluster master's `host:port`). */
  readonly where: string;
  /** The seam whose command failed first (`"session store"`, `"bus"`, …). */
  readonly seam: string;

  /** The notice of an outage of `where`, first seen by `seam` failing with `error`. */
  constructor(where: string, seam: string, error: unknown) {
    super(
      `storage outage: ${where} is unreachable (${seam}: ${
        describe(error)
      }); requests that need it are refused with 503 until it answers`,
    );
    this.name = "StorageOutageError";
    this.where = where;
    this.seam = seam;
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * Reported once when a storage place answers again after a
 * {@linkcode StorageOutageError}: how long it was out and how many of its
 * commands failed meanwhile. Its stack is its message alone.
 *
 * @example
 * ```ts
 * import { StorageRecoveredError } from "@tether/mcp/storage";
 * const onError = (error: unknown) => {
 *   if (error instanceof StorageRecoveredError) console.info(error.message);
 * };
 * ```
 */
export class StorageRecoveredError extends Error {
  /** The place that answers again. */
  readonly where: string;
  /** Failures counted during the outage (the one that opened it included). */
  readonly failures: number;
  /** How long the outage lasted, in milliseconds. */
  readonly durationMs: number;

  /** The notice that `where` answers again after `durationMs` and `failures` failures. */
  constructor(where: string, failures: number, durationMs: number) {
    super(
      `storage recovered: ${where} answers again after ${
        (durationMs / 1_000).toFixed(1)
      } s and ${failures} refused ${failures === 1 ? "command" : "commands"}`,
    );
    this.name = "StorageRecoveredError";
    this.where = where;
    this.failures = failures;
    this.durationMs = durationMs;
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** One open outage. */
interface Outage {
  since: number;
  failures: number;
}

/**
 * The outages of some storage places, each reported once when it opens and
 * once when it ends (at the first success there). Places are named by the
 * caller; `answered` costs one size check while nothing is out. The Redis
 * backend reports through it; a store of your own can too: the errors it
 * counted are not told to the handler's `onError` again.
 *
 * @example
 * ```ts
 * import { StorageOutages } from "@tether/mcp/storage";
 * const lines: string[] = [];
 * let clock = 0;
 * const outages = new StorageOutages((notice) => lines.push(notice.message), () => clock);
 * outages.failed("redis://127.0.0.1:6379", "session store", new Error("offline"));
 * outages.failed("redis://127.0.0.1:6379", "bus", new Error("offline")); // counted only
 * clock = 3_000;
 * outages.answered("redis://127.0.0.1:6379"); // lines: the outage, then its recovery
 * ```
 */
export class StorageOutages {
  readonly #report: (notice: Error) => void;
  readonly #now: () => number;
  readonly #open = new Map<string, Outage>();

  /** Reports through `report`; `now` (milliseconds) times the outages. */
  constructor(report: (notice: Error) => void, now: () => number = Date.now) {
    this.#report = report;
    this.#now = now;
  }

  /**
   * A failure of `seam` at `where`: the first of an outage is reported,
   * each is counted (unless `counted` is false: a reconnect attempt, not a
   * refused command), and `error` is marked as told.
   */
  failed(where: string, seam: string, error: unknown, counted = true): void {
    if (typeof error === "object" && error !== null) told.add(error);
    const open = this.#open.get(where);
    if (open !== undefined) {
      if (counted) open.failures++;
      return;
    }
    this.#open.set(where, { since: this.#now(), failures: counted ? 1 : 0 });
    this.#tell(new StorageOutageError(where, seam, error));
  }

  /** A success at `where`: ends its outage, if one is open, with one report. */
  answered(where: string): void {
    if (this.#open.size === 0) return;
    const open = this.#open.get(where);
    if (open === undefined) return;
    this.#open.delete(where);
    this.#tell(new StorageRecoveredError(where, open.failures, this.#now() - open.since));
  }

  /** True while some place is out (one size check: the cost of a success meanwhile). */
  get anyOut(): boolean {
    return this.#open.size !== 0;
  }

  /** The places out now, in the order their outages began. */
  out(): string[] {
    return [...this.#open.keys()];
  }

  /** Reports `notice`; a throwing `report` breaks nothing. */
  #tell(notice: Error): void {
    try {
      this.#report(notice);
    } catch { /* a broken logger must not fail the command */ }
  }
}
