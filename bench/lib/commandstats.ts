/**
 * `INFO commandstats` read as counts: the commands a Redis ran (each command inside a script
 * counted too, as Redis counts them) and the microseconds it spent in them, summed over nodes, and
 * the difference of two readings. Parsing only; the scale-out bench sends the INFO.
 * @module
 */

/** What Redis ran: commands (scripts' own included), of which scripts, and µs spent in them. */
export interface CommandCounts {
  commands: number;
  scripts: number;
  micros: number;
}

/** Commands the reading itself sends (never the workload's). */
const OWN = new Set(["info", "config", "cluster", "ping", "hello", "client", "select"]);

/**
 * The counts of one node's `INFO commandstats` text (`cmdstat_<name>:calls=…,usec=…,…` lines),
 * the reading's own commands left out. A script that failed (`NOSCRIPT`) is counted as a command,
 * not a script run.
 *
 * @example
 * ```ts
 * const counts = parseCommandstats("cmdstat_getex:calls=3,usec=30,usec_per_call=10.00\r\n");
 * console.log(counts.commands); // 3
 * ```
 */
export function parseCommandstats(text: string): CommandCounts {
  const counts: CommandCounts = { commands: 0, scripts: 0, micros: 0 };
  for (const line of text.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):(.*)$/.exec(line.trim());
    if (match === null) continue;
    const name = match[1].toLowerCase();
    if (OWN.has(name.split("|")[0])) continue;
    const field = (key: string) =>
      Number(new RegExp(`(?:^|,)${key}=(\\d+)`).exec(match[2])?.[1] ?? 0);
    const calls = field("calls");
    counts.commands += calls;
    counts.micros += field("usec");
    if (name === "evalsha" || name === "eval" || name === "fcall" || name === "evalsha_ro") {
      counts.scripts += calls - field("failed_calls");
    }
  }
  return counts;
}

/** The sum of readings (one per node of a Cluster). */
export function sumCounts(readings: readonly CommandCounts[]): CommandCounts {
  return readings.reduce(
    (sum, r) => ({
      commands: sum.commands + r.commands,
      scripts: sum.scripts + r.scripts,
      micros: sum.micros + r.micros,
    }),
    { commands: 0, scripts: 0, micros: 0 },
  );
}

/**
 * What ran between two readings, per call: (`after` − `before` − `idle`) ÷ `calls`, where `idle`
 * is the traffic the servers make on their own over as long (bus reads, heartbeats), if known.
 *
 * @example
 * ```ts
 * const zero = { commands: 0, scripts: 0, micros: 0 };
 * const after = { commands: 40, scripts: 10, micros: 400 };
 * console.log(perCall(zero, after, 10).commands); // 4
 * ```
 */
export function perCall(
  before: CommandCounts,
  after: CommandCounts,
  calls: number,
  idle: CommandCounts = { commands: 0, scripts: 0, micros: 0 },
): CommandCounts {
  const per = (key: keyof CommandCounts) =>
    Math.max(0, after[key] - before[key] - idle[key]) / calls;
  return { commands: per("commands"), scripts: per("scripts"), micros: per("micros") };
}
