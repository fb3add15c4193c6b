/**
 * Moves modules and rewrites every reference to them, so a change of rooms
 * is one reproducible step: `git mv` for each file, then, across the
 * repository's TypeScript and JavaScript, each relative import or export
 * specifier, `import(…)`, `new URL(…, import.meta.url)` and `@ts-types`
 * path that reached a moved file (or left one) is written anew; and every
 * repository-relative mention of a moved path (`src/legacy/x.ts` in docs,
 * comments, deno.json, scripts) is replaced.
 *
 *   node_modules/node24/bin/node scripts/move_modules.ts moves.json
 *   node_modules/node24/bin/node scripts/move_modules.ts src/a.ts=src/room/a.ts …
 *
 * `moves.json` is an object of old path → new path, repository-relative
 * files. It does not check the result: run the type check and the layer
 * check after it.
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The moves given on the command line: a JSON file, or old=new pairs. */
function movesOf(args: string[]): Map<string, string> {
  const pairs: [string, string][] = args.length === 1 && args[0].endsWith(".json")
    ? Object.entries(JSON.parse(readFileSync(args[0], "utf8")) as Record<string, string>)
    : args.map((arg) => arg.split("=") as [string, string]);
  const moves = new Map<string, string>();
  for (const [from, to] of pairs) {
    if (!from || !to) throw new Error(`Not a move: ${from}=${to}`);
    moves.set(normalize(from), normalize(to));
  }
  return moves;
}

const SKIP = new Set(["node_modules", ".git", "dist", "npm", "coverage", "results"]);
const CODE = /\.(ts|tsx|mts|js|mjs)$/;
const TEXT = /\.(ts|tsx|mts|js|mjs|md|json|jsonc|yml|yaml|sh|toml)$|^run$/;

/** Every text file of the repository, repository-relative. */
function filesOf(dir = ""): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) found.push(...filesOf(path));
    else if (TEXT.test(entry.name)) found.push(path);
  }
  return found;
}

/** A relative specifier from `fromDir` to `target` (both repository-relative). */
function specifier(fromDir: string, target: string): string {
  const path = relative(fromDir, target).split("\\").join("/");
  return path.startsWith(".") ? path : `./${path}`;
}

/** Relative paths in code: import/export specifiers, import(), new URL(), @ts-types. */
const RELATIVE =
  /((?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+|\bnew URL\(\s*|@ts-types=)["'])(\.{1,2}\/[^"']*)(["'])/gm;

function rewriteCode(file: string, newFile: string, text: string, moves: Map<string, string>) {
  const oldDir = dirname(file);
  const newDir = dirname(newFile);
  return text.replace(RELATIVE, (whole, head: string, spec: string, tail: string) => {
    const target = normalize(join(oldDir, spec));
    const moved = moves.get(target) ?? target;
    if (moved === target && oldDir === newDir) return whole;
    const trailingSlash = spec.endsWith("/") && !moved.endsWith("/") ? "/" : "";
    return `${head}${specifier(newDir, moved)}${trailingSlash}${tail}`;
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function rewriteMentions(text: string, moves: Map<string, string>): string {
  for (const [from, to] of moves) {
    // Whole paths only: `src/x.ts`, `./src/x.ts`, `../src/x.ts`, never `other/src/x.ts`.
    text = text.replace(new RegExp(`(?<![\\w-])(?<![\\w-]/)${escape(from)}(?![\\w/-])`, "g"), to);
  }
  return text;
}

const moves = movesOf(process.argv.slice(2));
if (moves.size === 0) {
  console.error("usage: move_modules.ts moves.json | old=new …");
  process.exit(2);
}
for (const from of moves.keys()) {
  if (!existsSync(join(ROOT, from))) throw new Error(`No such file: ${from}`);
}
const files = filesOf();
const contents = new Map(files.map((file) => [file, readFileSync(join(ROOT, file), "utf8")]));
for (const [from, to] of moves) {
  mkdirSync(dirname(join(ROOT, to)), { recursive: true });
  execFileSync("git", ["mv", from, to], { cwd: ROOT });
}
let changed = 0;
for (const [file, text] of contents) {
  const at = moves.get(file) ?? file;
  let next = CODE.test(file) ? rewriteCode(file, at, text, moves) : text;
  next = rewriteMentions(next, moves);
  if (next !== text) {
    writeFileSync(join(ROOT, at), next);
    changed++;
  }
}
console.log(`${moves.size} moved, ${changed} files rewritten`);
