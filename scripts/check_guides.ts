/**
 * Type-checks every TypeScript block of the README and the guides (docs/*.md but the generated
 * options.md) with `deno check`, as a reader pastes it into a project that installed tether:
 * `@tether/mcp` and its subpaths resolve through deno.json's name and exports, nothing else is
 * changed. A fence reads `ts`, `ts runnable` or `ts ignore (why it cannot be checked)`; a block
 * imports only published entry points, `node:` modules, npm packages and, by `./name.ts`, another
 * block of the same page whose first line is `// name.ts`. It checks types, never runs a block.
 * Two aids, no more: Bun's global is declared (deno knows Deno's and Node's), and an import of the
 * official SDK v1's subpaths gets its `.d.ts` (`@ts-types`, as the tests do: Deno does not find
 * the types behind that package's wildcard exports).
 *   node_modules/node24/bin/node scripts/check_guides.ts [page.md ...]
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** One TypeScript block of a page: where it starts, its fence's words after the language, its code. */
export interface GuideBlock {
  /** The page, repository-relative (`"docs/eras.md"`). */
  page: string;
  /** The line of the opening fence (1-based). */
  line: number;
  /** The fence's info after `ts`/`typescript` (`""`, `"runnable"`, `"ignore (…)"`). */
  info: string;
  /** The code between the fences. */
  code: string;
}

/** The README and every guide of docs/ but the generated options reference, repository-relative. */
export function guidePages(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md") && name !== "options.md")
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs];
}

/** The ```` ```ts ```` and ```` ```typescript ```` blocks of `text` (the markdown of `page`), in order. */
export function markdownBlocks(page: string, text: string): GuideBlock[] {
  const blocks: GuideBlock[] = [];
  for (
    const match of text.matchAll(
      /^```(?:ts|typescript)(?:[ \t]+([^\n]*))?\n([\s\S]*?)^```[ \t]*$/gm,
    )
  ) {
    const line = text.slice(0, match.index).split("\n").length;
    blocks.push({ page, line, info: (match[1] ?? "").trim(), code: match[2] });
  }
  return blocks;
}

/**
 * The ```` ```ts ```` blocks of the doc comments of `text` (a TypeScript module named `file`),
 * their `*` margins taken off.
 */
export function docCommentBlocks(file: string, text: string): GuideBlock[] {
  const blocks: GuideBlock[] = [];
  const fence =
    /^[ \t]*\*[ \t]?```(?:ts|typescript)(?:[ \t]+([^\n]*))?\n([\s\S]*?)^[ \t]*\*[ \t]?```[ \t]*$/gm;
  for (const match of text.matchAll(fence)) {
    const line = text.slice(0, match.index).split("\n").length;
    const code = match[2].split("\n").map((row) => row.replace(/^[ \t]*\*[ \t]?/, "")).join("\n");
    blocks.push({ page: file, line, info: (match[1] ?? "").trim(), code });
  }
  return blocks;
}

/** What is wrong with a fence's info, or undefined: `""`, `"runnable"`, or `"ignore (reason)"`. */
export function fenceProblem(info: string): string | undefined {
  if (info === "" || info === "runnable") return undefined;
  if (/^ignore \(\S[^)]*\)$/.test(info)) return undefined;
  if (/^ignore\b/.test(info)) {
    return `\`ts ${info}\`: an ignored block says why, as \`ts ignore (why it cannot be checked)\``;
  }
  return `\`ts ${info}\`: a fence reads \`ts\`, \`ts runnable\` or \`ts ignore (reason)\``;
}

/** The file name a block gives itself on its first line (`// server.ts`, `// src/worker.ts`). */
export function blockName(code: string): string | undefined {
  return /^\/\/ (?:[\w-]+\/)*([\w.-]+\.ts)\s*$/m.exec(code.split("\n", 1)[0])?.[1];
}

/** The module specifiers `code` imports or re-exports from (static and dynamic). */
export function importedSpecifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^"'`;]*?\bfrom\s+["']([^"']+)["']/gm,
    /^\s*import\s+["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1]);
  return found;
}

/**
 * What is wrong with `specifier` in a block of a page whose blocks name `named`: an unpublished
 * subpath of `@tether/mcp`, a path out of the page (`../`, `examples/`), or a `./` file no
 * block of the page is.
 */
export function importProblem(
  specifier: string,
  exported: ReadonlySet<string>,
  named: ReadonlySet<string>,
): string | undefined {
  if (specifier.includes("examples/")) {
    return `imports ${specifier}: examples/ is not in the published package`;
  }
  if (specifier === "@tether/mcp" || specifier.startsWith("@tether/mcp/")) {
    const subpath = `.${specifier.slice("@tether/mcp".length)}`;
    return exported.has(subpath) ? undefined : `imports ${specifier}: not an entry point`;
  }
  if (specifier.startsWith("../") || specifier.startsWith("/")) {
    return `imports ${specifier}: a file outside the page`;
  }
  if (specifier.startsWith("./")) {
    return named.has(basename(specifier))
      ? undefined
      : `imports ${specifier}: no block of the page is ${
        basename(specifier)
      } (a block names itself on its first line: // ${basename(specifier)})`;
  }
  return undefined;
}

/**
 * Bun's global, as far as the guides use it (deno check knows Deno's and Node's globals, not
 * Bun's): `Bun.serve` given the handler as `fetch`.
 */
const BUN_GLOBAL = `declare global {
  const Bun: {
    serve(options: {
      hostname?: string;
      port?: number;
      idleTimeout?: number;
      fetch: (request: Request) => Response | Promise<Response>;
    }): { url: URL; stop(): Promise<void> };
  };
}
export {};
`;

/** `code` with each import of an SDK v1 subpath (`@modelcontextprotocol/sdk/x.js`) given its `.d.ts`. */
function withSdkTypes(code: string): string {
  return code.replace(
    /^(import\b[^"']*["']@modelcontextprotocol\/sdk\/([\w/.-]+)\.js["'])/gm,
    (line, _import, path) => {
      const types = join(ROOT, "node_modules", "@modelcontextprotocol", "sdk", "dist", "esm", path);
      return `// @ts-types="${types}.d.ts"\n${line}`;
    },
  );
}

/** Checks `pages`; prints each problem and `deno check`'s output; returns the exit code. */
export function main(pages: readonly string[] = guidePages()): number {
  const exported = new Set(
    Object.keys(JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports),
  );
  const problems: string[] = [];
  const work = join(ROOT, ".tmp", `guides-${process.pid}`);
  const files: string[] = [];
  let ignored = 0;
  try {
    for (const page of pages) {
      const blocks = markdownBlocks(page, readFileSync(join(ROOT, page), "utf8"));
      const named = new Map<string, string>();
      for (const block of blocks) {
        const name = blockName(block.code);
        if (name !== undefined && !named.has(name) && !block.info.startsWith("ignore")) {
          named.set(name, block.code);
        }
      }
      for (const block of blocks) {
        const where = `${page}:${block.line}`;
        const fence = fenceProblem(block.info);
        if (fence !== undefined) problems.push(`${where}: ${fence}`);
        if (block.info.startsWith("ignore")) {
          ignored++;
          continue;
        }
        for (const specifier of importedSpecifiers(block.code)) {
          const problem = importProblem(specifier, exported, new Set(named.keys()));
          if (problem !== undefined) problems.push(`${where}: ${problem}`);
        }
        // Each block in a folder of its own, beside the blocks of its page it may import.
        const folder = join(work, `${page.replace(/\W+/g, "_")}_${block.line}`);
        mkdirSync(folder, { recursive: true });
        const own = blockName(block.code) ?? "block.ts";
        for (const [name, code] of named) if (name !== own) writeFileSync(join(folder, name), code);
        writeFileSync(join(folder, own), withSdkTypes(block.code));
        files.push(join(folder, own));
      }
    }
    if (files.length > 0) {
      writeFileSync(join(work, "bun_global.ts"), BUN_GLOBAL);
      files.push(join(work, "bun_global.ts"));
    }
    const deno = process.env.DENO ?? join(ROOT, "node_modules", ".bin", "deno");
    const checked = files.length === 0
      ? { status: 0, stdout: "", stderr: "" }
      : spawnSync(deno, ["check", "--quiet", ...files], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
        maxBuffer: 64 * 1024 * 1024,
      });
    for (const problem of problems) console.error(`check_guides: ${problem}`);
    if (checked.status !== 0) {
      // Each temporary folder is named by its page and line (docs_eras_md_12/block.ts).
      console.error(`${checked.stdout}${checked.stderr}`.replaceAll(`${work}/`, ""));
      console.error("check_guides: a guide's TypeScript block does not type-check (above)");
    }
    const ok = problems.length === 0 && checked.status === 0;
    console.log(
      `check_guides: ${files.length} blocks type-checked, ${ignored} ignored with a reason, ` +
        `${pages.length} pages: ${ok ? "ok" : "FAILED"}`,
    );
    return ok ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  process.exitCode = main(args.length === 0 ? undefined : args);
}
