/**
 * The scale-out bench's Redis command counts (bench/lib/commandstats.ts): `INFO commandstats` text
 * read as commands, scripts and µs, the reading's own commands left out, summed over nodes, and
 * per call with the idle traffic subtracted.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseCommandstats, perCall, sumCounts } from "../../../bench/lib/commandstats.ts";

const INFO = [
  "# Commandstats",
  "cmdstat_getex:calls=10,usec=100,usec_per_call=10.00,rejected_calls=0,failed_calls=0",
  "cmdstat_evalsha:calls=5,usec=500,usec_per_call=100.00,rejected_calls=0,failed_calls=1",
  "cmdstat_hset:calls=8,usec=16,usec_per_call=2.00,rejected_calls=0,failed_calls=0",
  "cmdstat_info:calls=3,usec=300,usec_per_call=100.00,rejected_calls=0,failed_calls=0",
  "cmdstat_cluster|slots:calls=2,usec=20,usec_per_call=10.00,rejected_calls=0,failed_calls=0",
  "cmdstat_client|setinfo:calls=2,usec=2,usec_per_call=1.00,rejected_calls=0,failed_calls=0",
  "",
].join("\r\n");

describe("INFO commandstats counts", () => {
  it("counts every command the workload ran, scripts' own included, not the reading's", () => {
    assert.deepEqual(parseCommandstats(INFO), { commands: 23, scripts: 4, micros: 616 });
  });

  it("reads nothing from a text without command lines", () => {
    assert.deepEqual(parseCommandstats("# Commandstats\r\n"), {
      commands: 0,
      scripts: 0,
      micros: 0,
    });
  });

  it("sums the nodes of a Cluster and gives what ran per call, idle traffic subtracted", () => {
    const node = parseCommandstats(INFO);
    const both = sumCounts([node, node]);
    assert.deepEqual(both, { commands: 46, scripts: 8, micros: 1_232 });
    const before = { commands: 100, scripts: 10, micros: 1_000 };
    const after = { commands: 150, scripts: 20, micros: 1_600 };
    assert.deepEqual(perCall(before, after, 10, { commands: 10, scripts: 0, micros: 100 }), {
      commands: 4,
      scripts: 1,
      micros: 50,
    });
    // Idle traffic larger than what ran reads as nothing, never less.
    assert.equal(perCall(before, after, 10, { commands: 80, scripts: 0, micros: 0 }).commands, 0);
  });
});
