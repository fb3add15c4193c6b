/**
 * CI check: every TypeScript file of the repository uses erasable syntax only
 * (no enums, namespaces, parameter properties or other syntax that needs
 * code generation), so Node >= 22.18 runs it by stripping types, as Deno and
 * Bun do. Then it imports the published entry points, which catches what
 * stripping alone accepts but Node's loader refuses (a type imported without
 * `type`, an import specifier without its `.ts` extension).
 *
 *   node_modules/node24/bin/node scripts/check_erasable.ts      (or: npm run check:erasable)
 *
 * Exits 1 and names each offending file and line. It does not type-check:
 * `deno check` does that.
 */

import { readdirSync, readFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { entryPoints } from "./entry_points.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROOTS = ["mod.ts", "src", "examples", "tests", "bench", "scripts"];
const ENTRY_POINTS = entryPoints().map(({ file }) => file);

// stripTypeScriptTypes is marked experimental; its warning would only add noise here.
process.removeAllListeners("warning");

function typeScriptFiles(path: string): string[] {
  const absolute = join(ROOT, path);
  if (path.endsWith(".ts")) return [absolute];
  return readdirSync(absolute, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !file.includes("/node_modules/"));
}

const failures: string[] = [];
const files = ROOTS.flatMap(typeScriptFiles).sort();
for (const file of files) {
  const name = relative(ROOT, file);
  try {
    stripTypeScriptTypes(readFileSync(file, "utf8"), { mode: "strip", sourceUrl: name });
  } catch (error) {
    // The stack starts with `file:line`, a code frame and the message; the call frames follow.
    const stack = error instanceof Error ? error.stack ?? error.message : String(error);
    const frame = stack.split("\n").filter((line) => !line.startsWith("    at ") && line !== "");
    failures.push(frame.join("\n  "));
  }
}
for (const entry of ENTRY_POINTS) {
  try {
    await import(pathToFileURL(join(ROOT, entry)).href);
  } catch (error) {
    failures.push(`${entry}: cannot be imported by Node with type stripping: ${String(error)}`);
  }
}

if (failures.length > 0) {
  console.error(`Not erasable-only TypeScript (Node ${process.version}, strip-only mode):`);
  for (const failure of failures) console.error(`- ${failure}`);
  process.exit(1);
}
console.log(
  `erasable syntax only: ${files.length} files strip cleanly on Node ${process.version}; ` +
    `${ENTRY_POINTS.join(", ")} import`,
);
