/**
 * The commit-msg hook (scripts/hooks/commit-msg, installed by `npm ci`): a
 * subject of at most 72 characters passes, a longer or empty one is refused
 * with the reason, and comment lines and the body are not the subject.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const HOOK = fileURLToPath(new URL("../../../scripts/hooks/commit-msg", import.meta.url));

/** Runs the hook on a message, as git does: its path as the one argument. */
function check(message: string): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "commit-msg-"));
  try {
    const file = join(dir, "COMMIT_EDITMSG");
    writeFileSync(file, message);
    const run = spawnSync("sh", [HOOK, file], { encoding: "utf8" });
    return { status: run.status, stderr: run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("commit-msg hook", () => {
  it("passes a subject of exactly 72 characters, whatever the body's length", () => {
    const result = check(`${"s".repeat(72)}\n\n${"body ".repeat(100)}\n`);
    assert.equal(result.status, 0, result.stderr);
  });

  it("refuses a subject of 73 characters, saying how long it is", () => {
    const result = check(`${"s".repeat(73)}\n`);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /73 characters; at most 72/);
  });

  it("counts characters, not bytes: 72 non-ASCII characters pass", () => {
    const result = check(`${"é".repeat(72)}\n`);
    assert.equal(result.status, 0, result.stderr);
  });

  it("skips git's comment lines and refuses an empty subject", () => {
    assert.equal(check(`# Please enter the commit message\nShort subject\n`).status, 0);
    const empty = check(`\n\nbody only\n`);
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /empty/);
  });
});
