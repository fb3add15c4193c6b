/**
 * Builds the npm package `@tether/mcp` from the same sources as the JSR one and packs it:
 * tsc compiles every deno.json export (ESM JavaScript + .d.ts, `.ts` specifiers rewritten to
 * `.js`) into dist/npm/package/, scripts/npm_manifest.ts writes its package.json (deno.json's
 * name, version and exports), README.md, LICENSE and CHANGELOG.md are copied, and `npm pack`
 * (no scripts run) makes the tarball. Prints the file list and sizes; the last line is the
 * tarball's path. Does not publish (scripts/release.sh dry-runs that).
 *   node_modules/node24/bin/node scripts/pack_npm.ts     (or: npm run pack:npm)
 * TETHER_NPM_OUT=<dir> builds and packs there instead of dist/npm (the package test does, so
 * two runtimes running it at once do not share one directory).
 */

import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type DenoConfig, npmManifest } from "./npm_manifest.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = process.env.TETHER_NPM_OUT ?? join(ROOT, "dist", "npm");
const PACKAGE = join(OUT, "package");
const COPIED = ["README.md", "LICENSE", "CHANGELOG.md"];

/** One file of `npm pack --json`. */
interface PackedFile {
  path: string;
  size: number;
}

/** What `npm pack --json` reports about the tarball. */
interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/** Every file under `dir` (relative paths). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Compiles the exports of `deno` (and all they import) into PACKAGE with tsc. */
function compile(deno: DenoConfig): void {
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      rewriteRelativeImportExtensions: true,
      allowImportingTsExtensions: true,
      verbatimModuleSyntax: true,
      declaration: true,
      strict: true,
      skipLibCheck: true,
      lib: ["ES2023", "DOM", "DOM.Iterable"],
      types: ["node"],
      typeRoots: [join(ROOT, "node_modules", "@types")],
      rootDir: ROOT,
      outDir: PACKAGE,
      newLine: "lf",
    },
    files: Object.values(deno.exports).map((file) => join(ROOT, file)),
  };
  const config = join(OUT, "tsconfig.json");
  writeFileSync(config, JSON.stringify(tsconfig, null, 2));
  run(
    process.execPath,
    [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", config],
    ROOT,
  );
}

/**
 * tsc rewrites `./x.ts` to `./x.js` in the JavaScript but not in the declarations: do it there,
 * on import and export lines only (doc comments keep their examples as written).
 */
function rewriteDeclarations(): void {
  const specifier = /^((?:import|export)\b[^\n]*?\bfrom |\} from |import )"(\.\.?\/[^"]+)\.ts"/gm;
  for (const file of filesUnder(PACKAGE).filter((path) => path.endsWith(".d.ts"))) {
    const text = readFileSync(file, "utf8");
    const rewritten = text.replace(specifier, (_, head, path) => `${head}"${path}.js"`);
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}

/** Fails if the JavaScript imports a package the manifest does not declare. */
function checkImports(declared: Set<string>): void {
  const bare = /^(?:import|export)\b[^\n]*?\bfrom "([^."][^"]*)"|^\} from "([^."][^"]*)"/gm;
  for (const file of filesUnder(PACKAGE).filter((path) => path.endsWith(".js"))) {
    for (const match of readFileSync(file, "utf8").matchAll(bare)) {
      const specifier = match[1] ?? match[2];
      if (specifier.startsWith("node:") || specifier.startsWith("cloudflare:")) continue;
      const name = specifier.startsWith("@")
        ? specifier.split("/").slice(0, 2).join("/")
        : specifier.split("/")[0];
      if (!declared.has(name)) {
        throw new Error(
          `${file} imports ${specifier}, which the npm package.json does not declare`,
        );
      }
    }
  }
}

/** Builds dist/npm/package and packs it; returns what npm pack reports. */
export function packNpm(): PackReport & { tarball: string } {
  const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as DenoConfig;
  const manifest = npmManifest(deno);
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(PACKAGE, { recursive: true });
  compile(deno);
  rewriteDeclarations();
  checkImports(
    new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]),
  );
  writeFileSync(join(PACKAGE, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  for (const file of COPIED) copyFileSync(join(ROOT, file), join(PACKAGE, file));
  // The README links into docs/: the guides travel with it, so the links resolve on npmjs.com too.
  cpSync(join(ROOT, "docs"), join(PACKAGE, "docs"), { recursive: true });
  const npm = process.env.NPM ?? "npm";
  const output = run(
    npm,
    ["pack", "--json", "--ignore-scripts", "--pack-destination", OUT],
    PACKAGE,
  );
  const [report] = JSON.parse(output) as PackReport[];
  return { ...report, tarball: join(OUT, report.filename) };
}

if (import.meta.main ?? process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = packNpm();
  for (const file of report.files) console.log(`${String(file.size).padStart(8)}  ${file.path}`);
  console.log(
    `${report.files.length} files, ${(report.size / 1024).toFixed(0)} kB packed, ` +
      `${(report.unpackedSize / 1024).toFixed(0)} kB unpacked`,
  );
  console.log(report.tarball);
}
