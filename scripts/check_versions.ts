/**
 * Keeps tether's one version in one place: deno.json's `version` is the release. Fails (exit 1,
 * naming the file) when something could drift from it: CHANGELOG.md's newest release heading, a
 * `version` in the dev toolchain's package.json (it must have none), an npm import the npm
 * package.json would not place, or, given a packed npm tarball, that tarball's version.
 * Checks files only; builds and publishes nothing.
 *   node_modules/node24/bin/node scripts/check_versions.ts [root] [--tarball <path>]
 */

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type DenoConfig, npmManifest } from "./npm_manifest.ts";

/** A Keep a Changelog release heading: `## [1.2.3] - 2026-11-25`. */
const RELEASE_HEADING = /^## \[(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\] - \d{4}-\d{2}-\d{2}$/m;

/** The version of the npm package packed in `tarball`. */
function tarballVersion(tarball: string): string {
  const result = spawnSync("tar", ["-xzOf", tarball, "package/package.json"], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`cannot read ${tarball}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { version: string }).version;
}

/**
 * The drifts found under `root` (empty when everything follows deno.json's version).
 *
 * @example
 * ```ts
 * import { versionProblems } from "./check_versions.ts";
 * versionProblems("."); // [] on a consistent tree
 * ```
 */
export function versionProblems(root: string, tarball?: string): string[] {
  const problems: string[] = [];
  const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as DenoConfig;
  const version = deno.version;
  try {
    const manifest = npmManifest(deno);
    if (manifest.version !== version) {
      problems.push(`the npm package.json would say ${manifest.version}, deno.json ${version}`);
    }
  } catch (error) {
    problems.push(`npm package.json: ${(error as Error).message}`);
  }
  const changelog = readFileSync(join(root, "CHANGELOG.md"), "utf8");
  if (!/^## \[Unreleased\]$/m.test(changelog)) {
    problems.push("CHANGELOG.md has no `## [Unreleased]` section");
  }
  const newest = RELEASE_HEADING.exec(changelog);
  if (newest === null) {
    problems.push("CHANGELOG.md has no release heading `## [x.y.z] - YYYY-MM-DD`");
  } else if (newest[1] !== version) {
    problems.push(`CHANGELOG.md's newest release is ${newest[1]}, deno.json says ${version}`);
  } else if (!changelog.includes(`\n[${version}]: `)) {
    problems.push(`CHANGELOG.md has no link reference for [${version}]`);
  }
  const dev = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    version?: string;
    private?: boolean;
  };
  if (dev.version !== undefined) {
    problems.push(
      `package.json (the dev toolchain) has version ${dev.version}: the version lives in ` +
        "deno.json only (scripts/pack_npm.ts writes the npm package's)",
    );
  }
  if (dev.private !== true) problems.push("package.json (the dev toolchain) is not private");
  if (tarball !== undefined) {
    const packed = tarballVersion(tarball);
    if (packed !== version) problems.push(`${tarball} is version ${packed}, deno.json ${version}`);
  }
  return problems;
}

if (import.meta.main ?? process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--tarball");
  const tarball = at === -1 ? undefined : args.splice(at, 2)[1];
  const root = args[0] ?? fileURLToPath(new URL("..", import.meta.url));
  const problems = versionProblems(root, tarball);
  for (const problem of problems) console.error(`check_versions: ${problem}`);
  if (problems.length > 0) process.exit(1);
  const { version } = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
  console.log(
    `check_versions: ${version} everywhere${tarball === undefined ? "" : ` (${tarball})`}`,
  );
}
