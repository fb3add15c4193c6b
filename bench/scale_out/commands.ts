/**
 * Redis commands per call of the scale-out workloads, from `INFO commandstats` (bench/lib/
 * commandstats.ts): the servers' idle traffic read first, then a fixed number of calls made by
 * concurrent callers, counted, less that idle traffic over as long. Counts, not times.
 * @module
 */

import type { CommandCounts } from "../lib/commandstats.ts";
import { perCall } from "../lib/commandstats.ts";
import { post, type Target } from "./calls.ts";
import type { Redis } from "./redis.ts";

/** The idle traffic of every server on `redis`, per ms, read over `ms`. */
export async function idleRate(redis: Redis, ms: number): Promise<CommandCounts> {
  const before = await redis.commandstats();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await redis.commandstats();
  return perCall(before, after, performance.now() - start);
}

/**
 * `calls` calls (`body(id)`, checked with `check`) by `workers` concurrent callers over `targets`
 * in turn: what Redis ran per call, the idle traffic (`idlePerMs`) over as long subtracted.
 */
export async function commandsPerCall(
  redis: Redis,
  targets: readonly Target[],
  body: (id: number) => string,
  check: (text: string, id: number) => boolean,
  calls: number,
  workers: number,
  idlePerMs: CommandCounts,
): Promise<CommandCounts> {
  const before = await redis.commandstats();
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(workers, calls) }, async () => {
    while (next < calls) {
      const id = ++next;
      const response = await post(targets[id % targets.length], body(id));
      if (!check(await response.text(), id)) throw new Error(`call ${id} answered wrongly`);
    }
  }));
  const ms = performance.now() - start;
  const after = await redis.commandstats();
  const idle = {
    commands: idlePerMs.commands * ms,
    scripts: idlePerMs.scripts * ms,
    micros: idlePerMs.micros * ms,
  };
  return perCall(before, after, calls, idle);
}
