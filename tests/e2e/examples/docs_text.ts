/**
 * Reads the README and the guides in docs/ for the tests that run their code
 * blocks: a page's text, one of its sections, and the TypeScript blocks in a
 * text (plain ```` ```ts ```` and ```` ```ts runnable ````). Reads only; it
 * runs nothing.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The text of `path`, relative to the repository root (`"README.md"`, `"docs/eras.md"`). */
export function page(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}

/**
 * The section of `path` headed `heading` (e.g. `"## Tasks"`), up to the next
 * heading of the same level or above.
 * @example
 * ```ts
 * const tasks = sectionOf("docs/extensions.md", "## Tasks");
 * ```
 */
export function sectionOf(path: string, heading: string): string {
  const text = page(path);
  const at = text.indexOf(`\n${heading}\n`);
  assert.ok(at !== -1, `${path} has a "${heading}" section`);
  const level = heading.indexOf(" ");
  const next = text.slice(at + 1).search(new RegExp(`\\n#{1,${level}} `));
  return text.slice(at, next === -1 ? undefined : at + 1 + next);
}

/** The TypeScript blocks of `text`, runnable or not, in order. */
export function tsBlocks(text: string): string[] {
  return [...text.matchAll(/^```ts(?: runnable)?\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
}
