/**
 * The temporary git worktrees bench/lab/instructions.ts measures a base and a head from: made
 * beside each other, named alike, with this checkout's node_modules linked in, and removed after.
 * @module
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../lib/proc.ts";

/**
 * A temporary worktree of `ref` beside the other, named alike. With a base,
 * this tree is measured from one too: V8's warm-up in the counted window
 * depends on where the code lives (the same commit counted 207.1k
 * instructions per legacy call from /tmp/base and /work/main, 195.4k–195.8k
 * from two `tether-instructions-*` directories, 206.2k from a 42-character
 * one), so a base and a head in differently named trees differ by up to 5%
 * with no change at all.
 */
export function temporaryTree(ref: string): string {
  const tree = mkdtempSync(join(tmpdir(), "tether-instructions-"));
  execFileSync("git", ["worktree", "add", "--detach", tree, ref], { cwd: ROOT, stdio: "ignore" });
  symlinkSync(join(ROOT, "node_modules"), join(tree, "node_modules"));
  return tree;
}

/** Removes the worktrees {@linkcode temporaryTree} made for this run. */
export function removeTemporaryTrees(trees: readonly (string | undefined)[]): void {
  for (const tree of trees) {
    if (tree === undefined || tree === ROOT) continue;
    execFileSync("git", ["worktree", "remove", "--force", tree], { cwd: ROOT, stdio: "ignore" });
    rmSync(tree, { recursive: true, force: true });
  }
}
