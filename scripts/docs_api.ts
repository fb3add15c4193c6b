/**
 * Builds the API reference: `deno doc --html` over every entry point of deno.json `exports`, into
 * dist/api/ (gitignored, never committed; JSR publishes the same reference at
 * https://jsr.io/@tether/mcp/doc). Fails if deno doc fails or a subpath gets no page. Prints the
 * output folder last. Does not lint the docs (`deno doc --lint` does, in CI).
 *   node_modules/node24/bin/node scripts/docs_api.ts [outDir]     (or: npm run docs:api)
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Writes the HTML reference of every deno.json export to `out`; returns the subpaths documented.
 *
 * @example
 * ```ts
 * import { buildApiDocs } from "./docs_api.ts";
 * buildApiDocs("dist/api"); // [".", "./node", "./hono", …]
 * ```
 */
export function buildApiDocs(out: string): string[] {
  const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as {
    name: string;
    version: string;
    exports: Record<string, string>;
  };
  const entries = Object.entries(deno.exports);
  rmSync(out, { recursive: true, force: true });
  // deno doc makes the output folder but not its parents (dist/ is absent on a fresh clone).
  mkdirSync(dirname(out), { recursive: true });
  const result = spawnSync(
    process.env.DENO ?? join(ROOT, "node_modules", ".bin", "deno"),
    [
      "doc",
      "--html",
      `--name=${deno.name}`,
      `--output=${out}`,
      ...entries.map(([, file]) => file),
    ],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(`deno doc --html exited ${result.status}\n${result.stdout}${result.stderr}`);
  }
  // deno doc names the root entry "~" and every other one by its subpath.
  const missing = entries
    .map(([subpath]) => subpath)
    .filter((subpath) => !existsSync(join(out, subpath === "." ? "~" : subpath.slice(2))));
  if (!existsSync(join(out, "index.html")) || missing.length > 0) {
    throw new Error(`deno doc wrote no page for: ${["index.html", ...missing].join(", ")}`);
  }
  return entries.map(([subpath]) => subpath);
}

if (import.meta.main ?? process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2];
  const out = arg === undefined
    ? join(ROOT, "dist", "api")
    : isAbsolute(arg)
    ? arg
    : join(process.cwd(), arg);
  const subpaths = buildApiDocs(out);
  console.log(`API reference of ${subpaths.join(", ")}:`);
  console.log(join(out, "index.html"));
}
