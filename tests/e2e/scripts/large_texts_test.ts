/**
 * The bench's large tool texts are flat strings on every engine (a probe run
 * on Node 24 and Deno with V8's natives syntax, and on Bun), not ropes: V8's
 * fast `JSON.stringify` serializes only flat strings, and a rope that one
 * server's process kept and another's did not made the large rows compare two
 * different strings (bench/lib/protocol.ts). The probe must also see a rope
 * made by concatenation as one, or it could not tell.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { BINARIES, ROOT } from "../../../bench/lib/proc.ts";

const PROBE = join(ROOT, "tests/e2e/scripts/large_texts_probe.ts");

/** The probe's verdicts, run by `command`. */
function probe(command: string[]): { large: boolean; large1m: boolean; rope: boolean } {
  const out = execFileSync(command[0], [...command.slice(1), PROBE], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

const ENGINES: Record<string, string[]> = {
  "Node 24 (V8)": [BINARIES.node, "--allow-natives-syntax"],
  "Deno (V8)": [BINARIES.deno, "run", "-A", "--v8-flags=--allow-natives-syntax"],
  "Bun (JavaScriptCore)": [BINARIES.bun],
};

describe("the bench's large tool texts", () => {
  for (const [engine, command] of Object.entries(ENGINES)) {
    it(`are flat strings on ${engine}, where a concatenation is a rope`, () => {
      assert.deepEqual(probe(command), { large: true, large1m: true, rope: false });
    });
  }
});
