/**
 * The scale model's report: its table for N = 2, 8, 50 and 500 instances and the assumptions it
 * rests on, as Markdown (the section of docs/redis.md between its `scale-model` markers).
 * @module
 */

import type { Costs } from "./costs.ts";
import {
  INSTANCE_COUNTS,
  LIMITS,
  type Limits,
  play,
  type ScaleRow,
  TARGET,
  type TetherShape,
  TODAY,
  type Workload,
} from "./model.ts";

/** The markers around the generated section of docs/redis.md. */
export const MARKERS = {
  start: "<!-- scale-model:start (bench/scale_model.ts --write; do not edit by hand) -->",
  end: "<!-- scale-model:end -->",
} as const;

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const cores = (n: number) => n.toFixed(2);
const gb = (n: number) => n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${Math.round(n / 1e6)} MB`;

/** One row of the table. */
function line(row: ScaleRow): string {
  const masters = row.masters === undefined
    ? `**none**: ${row.why}`
    : `${row.masters} (${row.why})`;
  return `| ${row.instances} | ${int(row.requestsPerSecond)} / ${int(row.sessions)} / ${
    int(row.openStreams)
  } | ${cores(row.redisCores)} | ${masters} | ${row.at}: ${cores(row.meanCores)} / ${
    cores(row.hottestCores)
  } | ${gb(row.memoryBytesPerMaster)} | ${int(row.connectionsSteady)}–${
    int(row.connectionsPerMaster)
  } | \`${row.hottestKey.key}\` ${cores(row.hottestKey.cores)} | ${int(row.booksPerSecond)} | ${
    row.holders.toFixed(1)
  } | ${row.resumableSeconds < 3_600 ? `${row.resumableSeconds.toFixed(0)} s` : "≥ 1 h"}${
    row.evicting ? " (evicting)" : ""
  } |`;
}

/** The table and its assumptions, as Markdown. */
export function markdown(
  costs: Costs,
  workload: Workload = TARGET,
  shape: TetherShape = TODAY,
  limits: Limits = LIMITS,
): string {
  const rows = INSTANCE_COUNTS.map((n) => play(n, costs, workload, shape, limits));
  const spread = costs.progressSpread;
  const g = costs.given;
  return [
    "| instances | requests/s / sessions / open streams | Redis CPU in all (cores) | masters needed, and why | per master at that size (or at what the mean load needs): CPU mean / hottest (cores) | memory per master | connections per master (mean at that size – every read open) | the hottest key (cores) | BOOKs/s per book | holders per session | events resumable for |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(line),
    "",
    `Assumptions. Each instance carries 1/${workload.targetInstances} of the target: ${
      int(workload.requestsPerSecond)
    } requests/s (${
      Math.round(workload.streamedShare * 100)
    }% streamed calls with 10 progress events spread over time, one per 20 ms tick, appended per 50 ms flush window, the rest JSON), ${
      int(workload.sessions)
    } sessions living ${workload.sessionLifetimeSeconds / 60} minutes, ${
      int(workload.openStreams)
    } open SSE streams (${
      Math.round(workload.followedShare * 100)
    }% followed from an instance other than the writer's), round-robin balancing, ${
      workload.authenticated
        ? "every session owned by a principal of its own"
        : "no authentication (every session owned by anonymous)"
    }. A master may spend ${limits.coresPerMaster} core of this machine's CPU, hold ${
      gb(limits.memoryBytesPerMaster)
    } and ${
      int(limits.maxclients)
    } connections (Redis's default \`maxclients\`); slots are split in equal ranges; up to ${
      int(limits.maxMasters)
    } masters. tether as today: ${shape.budgetBooks} budget books (\`eg:{k}\`), each instance booking its changes once they add ${
      shape.budgetBatchBytes / 1024
    } KiB or ${
      shape.budgetBatchMs / 1000
    } s passed, one BOOK per book its batch's streams hash to (${g.payloadBytesPerEvent} B of payload per event); per instance per master one shared connection, the bus reader on its inbox's master only, and where it follows streams up to ${shape.readsPerMaster} shared blocking reads and one control connection (${
      costs.connectionsPerInstance + shape.readsPerMaster + 1
    } at most); each followed stream on a slot of its own, a master's followed slots past its ${shape.readsPerMaster} reads polled every ${shape.idlePollSeconds} s while idle; holders those instances that used the session within ${shape.holdSeconds} s; ${
      workload.authenticated
        ? `the owner index kept (each principal's share limited), the largest principal's in ${shape.ownerShards} shards`
        : "no owner index (an unlimited share)"
    }; the largest principal sends ${
      Math.round(workload.dominantShare * 100)
    }% of the requests, each a take on its rate key (\`rate:{…}\`), as every principal's request on its own; \`maxTotalBytes\` ${
      shape.maxTotalBytes / 2 ** 20
    } MiB, streams kept ${
      shape.retentionSeconds / 60
    } minutes unless evicted (once the budget is full every batch also evicts: a streamed call costs what it measured with the budget full), the index renewed on a touch ${shape.renewAfterSeconds} s after the last renewal.`,
    "",
    `Costs (${costs.measured}): a JSON \`tools/call\` ${
      costs.jsonCall.commands.toFixed(1)
    } commands, ${costs.jsonCall.scripts.toFixed(1)} scripts, ${
      costs.jsonCall.redisMicros.toFixed(0)
    } µs of Redis CPU; a session created ${costs.sessionCreate.commands.toFixed(1)} commands, ${
      costs.sessionCreate.redisMicros.toFixed(0)
    } µs; a 10-progress call spread over time ${spread.commands.toFixed(0)} commands, ${
      spread.scripts.toFixed(0)
    } scripts (${
      spread.books.toFixed(2)
    } BOOKs, one instance's batches at about its share of the target: ${
      (spread.bookMicros / Math.max(spread.books, 1e-9)).toFixed(0)
    } µs a BOOK), ${spread.redisMicros.toFixed(0)} µs (${
      spread.bookMicros.toFixed(0)
    } of them BOOKs), ${int(spread.bytes)} bytes in and out; in one task (the bench's shape) ${
      costs.progressBurst.commands.toFixed(0)
    } commands, ${costs.progressBurst.scripts.toFixed(0)} scripts, ${
      costs.progressBurst.redisMicros.toFixed(0)
    } µs; a rate-limit take ${costs.rateTake.commands.toFixed(1)} commands, ${
      costs.rateTake.redisMicros.toFixed(0)
    } µs; ${
      int(costs.bytesPerSession)
    } B per idle session (no owner index); ${costs.connectionsPerInstance} connections per instance on its inbox's master with nothing followed. Given, not measured by the script: ${g.sources}.`,
  ].join("\n");
}
