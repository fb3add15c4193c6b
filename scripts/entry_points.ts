/**
 * The published entry points, read from deno.json `exports` (the one list): CI's `deno doc --lint`,
 * scripts/check_erasable.ts, the npm package and the surface test all take them from here. Run, it
 * prints their files, one a line, repository-relative, for a shell's `$(…)`.
 *   node_modules/node24/bin/node scripts/entry_points.ts
 * It reads deno.json only; it neither checks nor counts what the entry points export.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** One entry point: its subpath (`"."`, `"./gateway"`) and its repository-relative file. */
export interface EntryPoint {
  /** The subpath under the package name, as deno.json `exports` spells it. */
  subpath: string;
  /** The file, repository-relative without a leading `./` (`"src/gateway/mod.ts"`). */
  file: string;
}

/**
 * The entry points deno.json `exports` declares, in its order.
 *
 * @example
 * ```ts
 * import { entryPoints } from "./entry_points.ts";
 * for (const { subpath, file } of entryPoints()) console.log(subpath, file); // ". mod.ts", …
 * ```
 */
export function entryPoints(root: string = ROOT): EntryPoint[] {
  const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as {
    exports?: Record<string, string> | string;
  };
  const exports = typeof deno.exports === "string" ? { ".": deno.exports } : deno.exports ?? {};
  return Object.entries(exports).map(([subpath, file]) => {
    if (!/^\.\/.+\.ts$/.test(file)) {
      throw new Error(`deno.json export ${JSON.stringify(subpath)} is not a relative .ts file`);
    }
    return { subpath, file: file.slice(2) };
  });
}

if (import.meta.main ?? process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { file } of entryPoints()) console.log(file);
}
