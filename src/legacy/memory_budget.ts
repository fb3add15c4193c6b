/**
 * The default process-wide budget of the in-memory event log, derived from
 * the heap limit so one setting is right for a small container and a large
 * machine alike. V8 runtimes (Node, Deno) report their heap limit; Bun's
 * JavaScriptCore has none, so a quarter of the machine's memory (at most
 * 4 GiB, V8's usual default) stands in for it.
 * @module
 */

import { totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";

const MIB = 1024 * 1024;
const FALLBACK_HEAP_BYTES = 4096 * MIB;

/** The heap this process may grow to, bytes (an estimate where the runtime sets no limit). */
export function heapLimitBytes(): number {
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
  if (!isBun) {
    try {
      const limit = getHeapStatistics().heap_size_limit;
      if (Number.isFinite(limit) && limit > 0) return limit;
    } catch {
      // No node:v8 statistics here: fall through to the estimate.
    }
  }
  try {
    return Math.min(totalmem() / 4, FALLBACK_HEAP_BYTES);
  } catch {
    return FALLBACK_HEAP_BYTES;
  }
}

/**
 * The default `maxTotalBytes` of a {@linkcode MemoryEventLog}: an eighth of
 * the heap limit, at least 16 MiB (about 512 MiB under Node's default 4 GiB
 * heap).
 *
 * @example
 * ```ts
 * import { defaultEventLogBudget } from "@tether/mcp";
 * console.log(`event log budget: ${defaultEventLogBudget() / 2 ** 20} MiB`);
 * ```
 */
export function defaultEventLogBudget(): number {
  return Math.max(16 * MIB, Math.floor(heapLimitBytes() / 8));
}
