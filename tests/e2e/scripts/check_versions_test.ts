/**
 * scripts/check_versions.ts, run on made-up trees: a consistent tree passes; a CHANGELOG.md whose
 * newest release is not deno.json's version, a version in the dev package.json, an npm import the
 * npm package.json does not place and a tarball of another version each fail the check by name;
 * this repository passes. Also the npm package.json scripts/npm_manifest.ts makes from deno.json.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { npmManifest } from "../../../scripts/npm_manifest.ts";

const REPOSITORY = fileURLToPath(new URL("../../..", import.meta.url));
const NODE = join(REPOSITORY, "node_modules", "node24", "bin", "node");
const SCRIPT = join(REPOSITORY, "scripts", "check_versions.ts");

interface Outcome {
  code: number;
  output: string;
}

/** Runs the check with `args`, within 20 s. */
function runCheck(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(NODE, [SCRIPT, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : (error as { code?: unknown }).code;
      if (typeof code !== "number") return reject(error);
      resolve({ code, output: stdout + stderr });
    });
  });
}

const DENO = {
  name: "@tether/mcp",
  version: "1.2.3",
  exports: { ".": "./mod.ts", "./node": "./src/adapters/node.ts" },
  imports: { zod: "npm:zod@^4.1.0", jose: "npm:jose@^6.2.0" },
};
const CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n## [1.2.3] - 2026-11-25\n\n### Added\n\n" +
  "- things\n\n## [1.2.2] - 2026-11-01\n\n[1.2.3]: https://jsr.io/@tether/mcp@1.2.3\n";
const DEV = { name: "tether-dev", private: true };

/** A tree with deno.json, CHANGELOG.md and package.json, each replaceable. */
function tree(
  parts: { deno?: unknown; changelog?: string; dev?: unknown } = {},
): string {
  const root = mkdtempSync(join(tmpdir(), "check-versions-"));
  writeFileSync(join(root, "deno.json"), JSON.stringify(parts.deno ?? DENO));
  writeFileSync(join(root, "CHANGELOG.md"), parts.changelog ?? CHANGELOG);
  writeFileSync(join(root, "package.json"), JSON.stringify(parts.dev ?? DEV));
  return root;
}

/** A tarball holding package/package.json with `version`. */
function tarball(root: string, version: string): string {
  mkdirSync(join(root, "package"));
  writeFileSync(join(root, "package", "package.json"), JSON.stringify({ version }));
  const path = join(root, "packed.tgz");
  assert.equal(spawnSync("tar", ["-czf", path, "-C", root, "package"]).status, 0);
  return path;
}

describe("scripts/check_versions.ts", () => {
  it("passes a tree where everything follows deno.json", async () => {
    const root = tree();
    try {
      const outcome = await runCheck([root]);
      assert.equal(outcome.code, 0, outcome.output);
      assert.match(outcome.output, /1\.2\.3 everywhere/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("fails when CHANGELOG.md's newest release is not deno.json's version", async () => {
    const root = tree({ deno: { ...DENO, version: "1.3.0" } });
    try {
      const outcome = await runCheck([root]);
      assert.equal(outcome.code, 1);
      assert.match(
        outcome.output,
        /CHANGELOG\.md's newest release is 1\.2\.3, deno\.json says 1\.3\.0/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("fails when CHANGELOG.md has no Unreleased section or no link for the release", async () => {
    const root = tree({ changelog: "# Changelog\n\n## [1.2.3] - 2026-11-25\n" });
    try {
      const outcome = await runCheck([root]);
      assert.equal(outcome.code, 1);
      assert.match(outcome.output, /no `## \[Unreleased\]` section/);
      assert.match(outcome.output, /no link reference for \[1\.2\.3\]/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("fails when the dev package.json carries a version of its own", async () => {
    const root = tree({ dev: { ...DEV, version: "1.2.3" } });
    try {
      const outcome = await runCheck([root]);
      assert.equal(outcome.code, 1);
      assert.match(outcome.output, /package\.json \(the dev toolchain\) has version 1\.2\.3/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("fails when deno.json imports an npm package the npm package.json does not place", async () => {
    const root = tree({ deno: { ...DENO, imports: { ...DENO.imports, lodash: "npm:lodash@^4" } } });
    try {
      const outcome = await runCheck([root]);
      assert.equal(outcome.code, 1);
      assert.match(
        outcome.output,
        /imports lodash, which scripts\/npm_manifest\.ts does not place/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("checks a packed tarball's version", async () => {
    const root = tree();
    try {
      const stale = tarball(root, "1.2.2");
      const outcome = await runCheck([root, "--tarball", stale]);
      assert.equal(outcome.code, 1);
      assert.match(outcome.output, /packed\.tgz is version 1\.2\.2, deno\.json 1\.2\.3/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("passes this repository", async () => {
    const outcome = await runCheck([]);
    assert.equal(outcome.code, 0, outcome.output);
  });
});

describe("scripts/npm_manifest.ts", () => {
  it("takes deno.json's name, version and exports; core needs are dependencies, zod a peer", () => {
    const manifest = npmManifest(DENO);
    assert.equal(manifest.name, "@tether/mcp");
    assert.equal(manifest.version, "1.2.3");
    assert.deepEqual(manifest.exports, {
      ".": { types: "./mod.d.ts", default: "./mod.js" },
      "./node": { types: "./src/adapters/node.d.ts", default: "./src/adapters/node.js" },
      "./package.json": "./package.json",
    });
    assert.deepEqual(manifest.dependencies, { jose: "^6.2.0" });
    assert.deepEqual(manifest.peerDependencies, { zod: "^4.1.0" });
    assert.deepEqual(manifest.peerDependenciesMeta, { zod: { optional: true } });
    assert.equal("scripts" in manifest, false);
  });

  it("refuses a version that is not semver and an export that is not a .ts file", () => {
    assert.throws(() => npmManifest({ ...DENO, version: "1.2" }), /not semver/);
    assert.throws(
      () => npmManifest({ ...DENO, exports: { ".": "mod.js" } }),
      /not a relative \.ts file/,
    );
  });
});
