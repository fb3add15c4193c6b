/**
 * zod is no runtime import of the core: a server whose tools use only raw
 * JSON Schemas never loads it. A Node 24 child process (whichever runtime
 * runs this test) records every module it resolves while it builds such a
 * server and serves a call; the positive control, a zod tool, shows the
 * record does see zod when it is loaded.
 */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NODE = `${ROOT}node_modules/node24/bin/node`;
const FIXTURE = fileURLToPath(new URL("./no_zod_fixture.ts", import.meta.url));
/** A cold Node start that strips the types of the whole library. */
const RUN_MS = 60_000;

function runFixture(
  ...args: string[]
): Promise<{ text: string; refused: boolean; zodModules: number }> {
  return new Promise((resolve, reject) => {
    execFile(NODE, [FIXTURE, ...args], { cwd: ROOT, timeout: RUN_MS }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
    });
  });
}

describe("zod is not loaded by the core", () => {
  it("a server with only raw JSON Schemas serves and validates a call without loading zod", async () => {
    const raw = await runFixture();
    assert.equal(raw.text, "42");
    assert.equal(raw.refused, true, "n: -5 breaks minimum: 1");
    assert.equal(raw.zodModules, 0);
    // Positive control: the same record sees zod when a tool brings it.
    const zod = await runFixture("zod");
    assert.equal(zod.text, "42");
    assert.ok(zod.zodModules > 0);
  });
});
