/**
 * scripts/entry_points.ts: the entry points are deno.json `exports`, in its order, repository-
 * relative; run, it prints their files one a line (what CI hands `deno doc --lint`); an export
 * that is not a relative .ts file is refused by name.
 */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { entryPoints } from "../../../scripts/entry_points.ts";

const REPOSITORY = fileURLToPath(new URL("../../..", import.meta.url));
const NODE = join(REPOSITORY, "node_modules", "node24", "bin", "node");

/** The script's standard output, within 20 s. */
function printed(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      NODE,
      [join(REPOSITORY, "scripts", "entry_points.ts")],
      { timeout: 20_000 },
      (error, stdout) => error === null ? resolve(stdout) : reject(error),
    );
  });
}

/** `entryPoints` of a made-up repository whose deno.json has `exports`. */
function entryPointsOf(exports: unknown): ReturnType<typeof entryPoints> {
  const root = mkdtempSync(join(tmpdir(), "tether-entry-points-"));
  try {
    writeFileSync(join(root, "deno.json"), JSON.stringify({ exports }));
    return entryPoints(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe("scripts/entry_points.ts", () => {
  it("prints every file of deno.json exports, in its order", async () => {
    const deno = JSON.parse(readFileSync(join(REPOSITORY, "deno.json"), "utf8")) as {
      exports: Record<string, string>;
    };
    const files = Object.values(deno.exports).map((file) => file.slice(2));
    assert.deepEqual((await printed()).trimEnd().split("\n"), files);
    assert.deepEqual(entryPoints().map(({ file }) => file), files);
    assert.ok(files.includes("src/gateway/mod.ts"));
  });

  it("reads the subpaths and a lone string export", () => {
    assert.deepEqual(entryPointsOf({ ".": "./mod.ts", "./node": "./src/node.ts" }), [
      { subpath: ".", file: "mod.ts" },
      { subpath: "./node", file: "src/node.ts" },
    ]);
    assert.deepEqual(entryPointsOf("./mod.ts"), [{ subpath: ".", file: "mod.ts" }]);
  });

  it("refuses an export that is not a relative .ts file, by name", () => {
    assert.throws(
      () => entryPointsOf({ ".": "./mod.ts", "./x": "https://example.com/x.ts" }),
      /deno.json export "\.\/x" is not a relative \.ts file/,
    );
  });
});
