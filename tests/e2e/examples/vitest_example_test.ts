/**
 * The kit under vitest: runs examples/testing/greeter.vitest.ts with vitest
 * (Node 24, as a child process, scoped by examples/testing/vitest.config.ts
 * to that directory's `*.vitest.ts` files) and asserts its two tests passed;
 * and, so a pass means something, runs a deliberately failing file the same
 * way and asserts vitest reports it failed. The two runs are independent
 * processes, so they run at once. Node only: vitest runs on Node whichever
 * runtime spawns it, so Deno and Bun would repeat the same run.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { BINARIES, ROOT } from "./example_process.ts";

const skip = "Deno" in globalThis || process.versions.bun !== undefined
  ? "vitest runs on Node; the Node run covers it"
  : false;

/** vitest's JSON report of one run (the fields asserted). */
interface VitestReport {
  success: boolean;
  numPassedTests: number;
  numFailedTests: number;
}

/**
 * Runs vitest on `root` with the example's config; its exit code and JSON
 * report (written to a temporary file). No result cache, module cache or
 * config bundle is written (node_modules is shared); the run has a deadline.
 */
function vitest(root: string): Promise<{ code: number; report: VitestReport; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), "tether-vitest-"));
  const reportFile = join(dir, "report.json");
  const args = [
    `${ROOT}node_modules/vitest/vitest.mjs`,
    "run",
    "--root",
    root,
    "--config",
    `${ROOT}examples/testing/vitest.config.ts`,
    "--configLoader",
    "native",
    "--no-cache",
    "--no-fsModuleCache",
    "--reporter",
    "json",
    "--outputFile.json",
    reportFile,
  ];
  return new Promise((resolve, reject) => {
    execFile(BINARIES.node24, args, {
      cwd: ROOT,
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: "1", CI: "1" },
    }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      const output = `${stdout}\n${stderr}`;
      try {
        resolve({ code, report: JSON.parse(readFileSync(reportFile, "utf8")), output });
      } catch {
        reject(new Error(`vitest wrote no JSON report (exit ${code}):\n${output}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe("the test kit under vitest", { concurrency: true }, () => {
  it("vitest runs examples/testing/greeter.vitest.ts: both eras pass", { skip }, async () => {
    const { code, report, output } = await vitest(`${ROOT}examples/testing`);
    assert.equal(code, 0, output);
    assert.equal(report.success, true, output);
    assert.equal(report.numPassedTests, 2, output);
    assert.equal(report.numFailedTests, 0, output);
  });

  it("the control: a failing expectation in a kit test fails vitest's run", { skip }, async () => {
    const { code, report, output } = await vitest(`${ROOT}tests/e2e/examples/vitest_failing`);
    assert.notEqual(code, 0, output);
    assert.equal(report.success, false, output);
    assert.equal(report.numFailedTests, 1, output);
  });
});
