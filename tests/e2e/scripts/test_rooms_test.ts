/**
 * tests/rooms.ts (which runtime runs which room under `npm test`) and
 * scripts/test_times.ts (where the suite's time went): every test file keeps
 * Node 24, the rooms that depend on the runtime keep all four, and the time
 * report reads each runtime's own format and names a file over its budget.
 */

import { execFileSync } from "node:child_process";
import process from "node:process";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EVERY_RUNTIME, FILE_BUDGET_MS, runtimesOf, SLOW_FILES } from "../../rooms.ts";
import { readFileTimes, report } from "../../../scripts/test_times.ts";

function testFiles(folder: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(folder)) {
    const path = `${folder}/${name}`;
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (name.endsWith("_test.ts")) found.push(path);
  }
  return found;
}

const FILES = testFiles("tests");

describe("tests/rooms.ts", () => {
  it("runs every test file on Node 24", () => {
    assert.ok(FILES.length > 300, `found ${FILES.length} test files`);
    const without = FILES.filter((file) => !runtimesOf(file).includes("node24"));
    assert.deepEqual(without, []);
  });

  it("runs the rooms that depend on the runtime on all four", () => {
    const rooms = [
      "tests/unit/",
      "tests/contracts/",
      "tests/e2e/adapters/",
      "tests/e2e/http/",
      "tests/e2e/stdio/",
      "tests/e2e/interop/",
      "tests/e2e/fuzz/",
      "tests/e2e/edge/",
      "tests/e2e/browser/",
      "tests/e2e/security/",
      "tests/e2e/protocol/",
    ];
    for (const room of rooms) {
      const files = FILES.filter((file) => file.startsWith(room));
      assert.ok(files.length > 0, `${room} has test files`);
      for (const file of files) assert.deepEqual(runtimesOf(file), EVERY_RUNTIME, file);
    }
  });

  it("runs the storage contract suites and the gateway's stdio upstreams on all four", () => {
    for (
      const file of [
        "tests/e2e/redis/redis_contracts_test.ts",
        "tests/e2e/postgres/postgres_contracts_test.ts",
        "tests/e2e/postgres/postgres_event_log_contracts_test.ts",
        "tests/e2e/postgres/postgres_task_contracts_test.ts",
        "tests/e2e/gateway/stdio_test.ts",
      ]
    ) {
      assert.ok(FILES.includes(file), `${file} exists`);
      assert.deepEqual(runtimesOf(file), EVERY_RUNTIME, file);
    }
    assert.deepEqual(runtimesOf("tests/e2e/redis/failover_test.ts"), ["node24", "bun"]);
  });

  it("lists slow files that exist, each with a reason", () => {
    for (const [file, why] of Object.entries(SLOW_FILES)) {
      assert.ok(FILES.includes(file), `${file} exists`);
      assert.ok(why.length > 20, `${file} says why`);
    }
  });

  it("puts the slow files first in each runtime's list, the others in the order given", () => {
    const given = [...FILES].sort();
    const listed = execFileSync(process.execPath, ["scripts/test_rooms.ts", "node24", ...given], {
      encoding: "utf8",
    }).trim().split("\n");
    const slow = Object.keys(SLOW_FILES);
    assert.ok(slow.length > 0, "positive control: some files are slow");
    assert.deepEqual(new Set(listed.slice(0, slow.length)), new Set(slow));
    assert.deepEqual(listed.slice(slow.length), given.filter((file) => !slow.includes(file)));
  });
});

describe("scripts/test_times.ts", () => {
  it("reads Node's lines and Deno's and Bun's JUnit, and names a file over the budget", () => {
    const folder = mkdtempSync(join(tmpdir(), "test-times-"));
    const over = FILE_BUDGET_MS + 5_000;
    writeFileSync(
      join(folder, "node24.times"),
      `${process.cwd()}/tests/unit/a_test.ts\t1200\ntests/e2e/b_test.ts\t${over}\n`,
    );
    writeFileSync(
      join(folder, "bun.xml"),
      `<testsuites><testsuite name="tests/unit/a_test.ts" file="tests/unit/a_test.ts" time="1.5">` +
        `<testcase name="x" time="1.4" /></testsuite></testsuites>`,
    );
    writeFileSync(
      join(folder, "deno.xml"),
      `<testsuites><testsuite name="./tests/unit/a_test.ts" tests="2">` +
        `<testcase name="x" time="0.250"></testcase><testcase name="y" time="0.750"></testcase>` +
        `</testsuite><testsuite name="ext:deno_node/testing.ts" tests="1"></testsuite></testsuites>`,
    );
    const node24 = readFileTimes(folder, "node24");
    assert.equal(node24.get("tests/unit/a_test.ts"), 1200);
    assert.equal(node24.get("tests/e2e/b_test.ts"), over);
    assert.deepEqual([...readFileTimes(folder, "bun")], [["tests/unit/a_test.ts", 1500]]);
    assert.deepEqual([...readFileTimes(folder, "deno")], [["tests/unit/a_test.ts", 1000]]);
    assert.equal(readFileTimes(folder, "node22").size, 0);

    const lines = report(new Map([["node24", node24]]), 1);
    assert.match(lines[0], /^== node24: 2 files, 66 s of file time; slowest 1:$/);
    assert.match(lines[1], /65\.0 s {2}tests\/e2e\/b_test\.ts$/);
    assert.ok(
      lines.some((line) => /tests\/e2e\/b_test\.ts \(node24\)$/.test(line)),
      lines.join("\n"),
    );
    assert.ok(!lines.some((line) => /a_test\.ts \(node24\)/.test(line)));
  });
});
