/**
 * The per-request costs the scale model plays forward (bench/scale_model/model.ts): what each call
 * type costs Redis, measured on this machine by bench/scale_model/measure.ts and kept in
 * costs.json beside this file, and the figures that script does not measure, each with its source.
 * @module
 */

import { readFileSync, writeFileSync } from "node:fs";

/** What one operation costs Redis: commands (inside scripts too), scripts, CPU and bytes. */
export interface OperationCost {
  /** Commands per operation, as `INFO commandstats` counts them (a script and each call in it). */
  commands: number;
  /** Scripts run per operation (`EVALSHA` and `EVAL`). */
  scripts: number;
  /** redis-server CPU per operation, µs (`INFO cpu`, user + system). */
  redisMicros: number;
  /** Bytes into and out of Redis per operation (`INFO stats`, net input + output). */
  bytes: number;
}

/** Costs of a streamed call: the session's own keys, and the budget books (their own slots). */
export interface StreamedCost extends OperationCost {
  /** BOOK scripts per call, each on one budget book (`eg:{k}`), booked in batches per instance. */
  books: number;
  /** redis-server CPU of those BOOKs per call, µs (in `redisMicros` too). */
  bookMicros: number;
}

/** Everything the model takes as given, with where each figure comes from. */
export interface Costs {
  /** When and how the measured figures were taken. */
  measured: string;
  /** A JSON `tools/call` on a session touched recently (the read-and-touch script). */
  jsonCall: OperationCost;
  /** A session created (`initialize` + `notifications/initialized`). */
  sessionCreate: OperationCost;
  /** A 10-progress call whose events go out in one task (the bench's shape). */
  progressBurst: StreamedCost;
  /** A 10-progress call whose events are spread over time, one per tick (a real tool's shape). */
  progressSpread: StreamedCost;
  /** Redis memory per idle session, one holder, bytes (`INFO memory` used_memory ÷ sessions). */
  bytesPerSession: number;
  /** The same spread call once the budget is full: each batch also evicts as much as it books. */
  progressSpreadEvicting: StreamedCost;
  /** A rate-limit take (`RedisRateLimitStore`, one script on the key's `rate:{key}`). */
  rateTake: OperationCost;
  /** Connections an instance opens to its inbox's master, nothing followed (shared, bus reader). */
  connectionsPerInstance: number;
  /** Figures measured elsewhere, each with its source: not measured by measure.ts. */
  given: {
    /** An index renewal (`KEEP` on the session's bucket and owner key), µs each. */
    keepMicros: number;
    /** A heartbeat keep-alive of an open SSE stream (every `heartbeatMs`, 15 s), µs. */
    heartbeatMicros: number;
    /** An idle followed stream: a state check per idle second and its share of a read, µs/s. */
    followerMicrosPerSecond: number;
    /** One non-blocking `XREAD` of a polled slot (a master's followed slots past its reads), µs. */
    pollMicros: number;
    /** Payload bytes of one event of a 10-progress call, as the budget books count them. */
    payloadBytesPerEvent: number;
    /** Bytes per holder of a session (`bh:{sid}`) beyond the first (listpack). */
    bytesPerHolder: number;
    /** Bytes an event takes in the log (payload and overhead). */
    bytesPerEvent: number;
    /** The Redis connection's memory on the server, bytes. */
    bytesPerConnection: number;
    /** Where each given figure comes from. */
    sources: string;
  };
}

/** costs.json beside this module. */
export const COSTS_PATH = new URL("./costs.json", import.meta.url);

/** The costs last measured (costs.json). */
export function readCosts(path: URL | string = COSTS_PATH): Costs {
  return JSON.parse(readFileSync(path, "utf8")) as Costs;
}

/** Writes `costs` to costs.json (or `path`). */
export function writeCosts(costs: Costs, path: URL | string = COSTS_PATH): void {
  writeFileSync(path, `${JSON.stringify(costs, null, 2)}\n`);
}
