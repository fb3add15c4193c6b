/**
 * The default process-wide budget of the in-memory event log, derived from
 * the heap limit so one setting is right for a small container and a large
 * machine alike. V8 runtimes (Node, Deno) report their heap limit; Bun's
 * JavaScriptCore has none, so a quarter of the machine's memory (at most
 * 4 GiB, V8's usual default) stands in for it. The probes are Node built-ins
 * reached through `process.getBuiltinModule` when this runs, never imported:
 * a runtime without them (Cloudflare Workers, whose isolates have 128 MB)
 * loads this module all the same and gets the floor. The memory log's
 * bounds (its options' type) are declared here too.
 * @module
 */

const MIB = 1024 * 1024;
const FALLBACK_HEAP_BYTES = 4096 * MIB;
/** The budget's floor, and all of it where no heap can be measured. */
const MIN_BUDGET_BYTES = 16 * MIB;

interface NodeProbes {
  v8?: { getHeapStatistics(): { heap_size_limit: number } };
  os?: { totalmem(): number };
}

/** The Node built-ins this runtime offers synchronously (Node, Deno and Bun do; Workers do not). */
function nodeProbes(): NodeProbes {
  const process = (globalThis as {
    process?: { getBuiltinModule?: (name: string) => unknown };
  }).process;
  if (typeof process?.getBuiltinModule !== "function") return {};
  try {
    return {
      v8: process.getBuiltinModule("node:v8") as NodeProbes["v8"],
      os: process.getBuiltinModule("node:os") as NodeProbes["os"],
    };
  } catch {
    return {};
  }
}

/**
 * The heap this process may grow to, bytes (an estimate where the runtime
 * sets no limit); undefined where nothing can be measured.
 */
export function heapLimitBytes(): number | undefined {
  const { v8, os } = nodeProbes();
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
  if (!isBun && v8 !== undefined) {
    try {
      const limit = v8.getHeapStatistics().heap_size_limit;
      if (Number.isFinite(limit) && limit > 0) return limit;
    } catch {
      // No heap statistics here: fall through to the estimate.
    }
  }
  if (os === undefined) return undefined;
  try {
    return Math.min(os.totalmem() / 4, FALLBACK_HEAP_BYTES);
  } catch {
    return FALLBACK_HEAP_BYTES;
  }
}

/**
 * The default `maxTotalBytes` of a {@linkcode MemoryEventLog}: an eighth of
 * the heap limit, at least 16 MiB (about 512 MiB under Node's default 4 GiB
 * heap; 16 MiB where no heap can be measured, as on Cloudflare Workers).
 *
 * @example
 * ```ts
 * import { defaultEventLogBudget } from "./memory_budget.ts";
 * console.log(`event log budget: ${defaultEventLogBudget() / 2 ** 20} MiB`);
 * ```
 */
export function defaultEventLogBudget(): number {
  const heap = heapLimitBytes();
  return heap === undefined ? MIN_BUDGET_BYTES : Math.max(MIN_BUDGET_BYTES, Math.floor(heap / 8));
}

/**
 * Bounds of the {@linkcode MemoryEventLog}.
 *
 * @example
 * ```ts
 * import { MemoryEventLog, type MemoryEventLogOptions } from "@tether/mcp/storage";
 * const options: MemoryEventLogOptions = { maxBytesPerSession: 256 * 1024, maxTotalBytes: 64 * 1024 * 1024 };
 * const log = new MemoryEventLog(options);
 * ```
 */
export interface MemoryEventLogOptions {
  /** Events kept per stream (oldest dropped). Default 1,000. */
  maxEventsPerStream?: number;
  /** Streams kept per session (oldest dropped). Default 64. */
  maxStreamsPerSession?: number;
  /**
   * Bytes of event data kept per session. A stream over it alone sheds its own
   * oldest events first (it cannot take the session's other streams with it);
   * then the session's oldest events go, oldest streams first. Default 1 MiB.
   */
  maxBytesPerSession?: number;
  /**
   * Bytes of event data kept for all sessions together. Past it, the streams
   * written least recently lose their events, finished streams first; a
   * running stream that loses events can no longer be resumed from before
   * the loss. Default: {@linkcode defaultEventLogBudget}, an eighth of the
   * heap limit.
   */
  maxTotalBytes?: number;
}

/**
 * `options` with their defaults filled in (1,000 events per stream, 64
 * streams and 1 MiB per session, {@linkcode defaultEventLogBudget} in all);
 * throws a RangeError naming the first bound that is not a positive number.
 *
 * @example
 * ```ts
 * import { resolveBounds } from "./memory_budget.ts";
 * const bounds = resolveBounds({ maxBytesPerSession: 256 * 1024 });
 * console.log(bounds.maxEventsPerStream); // 1000
 * ```
 */
export function resolveBounds(options: MemoryEventLogOptions): Required<MemoryEventLogOptions> {
  const bounds = {
    maxEventsPerStream: options.maxEventsPerStream ?? 1_000,
    maxStreamsPerSession: options.maxStreamsPerSession ?? 64,
    maxBytesPerSession: options.maxBytesPerSession ?? 1024 * 1024,
    maxTotalBytes: options.maxTotalBytes ?? defaultEventLogBudget(),
  };
  for (const [name, value] of Object.entries(bounds)) {
    if (!(value > 0)) {
      throw new RangeError(`MemoryEventLog option ${name} must be a positive number, got ${value}`);
    }
  }
  return bounds;
}
