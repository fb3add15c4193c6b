/**
 * The guides' and the doc comments' examples: every option sits in its group (the groups are
 * read from the option types through scripts/options_reference.ts), every `ts ignore` block says
 * why, every `jsr add` passes `-y`, and scripts/check_guides.ts (run by CI over the README and
 * docs/) refuses a block that does not type-check or imports what the package does not publish.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import {
  blockName,
  docCommentBlocks,
  fenceProblem,
  type GuideBlock,
  guidePages,
  importedSpecifiers,
  importProblem,
  main,
  markdownBlocks,
} from "../../../scripts/check_guides.ts";
import { readOptionFields } from "../../../scripts/options_reference.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** Every `.ts` file under `folder` (repository-relative), sorted. */
function modules(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => `${folder}/${name}`)
    .sort();
}

/** The TypeScript blocks of the README and the guides. */
function guideBlocks(pages = guidePages()): GuideBlock[] {
  return pages.flatMap((page) => markdownBlocks(page, read(page)));
}

/** The doc-comment blocks of src/ and examples/. */
function commentBlocks(): GuideBlock[] {
  return [...modules("src"), ...modules("examples")]
    .flatMap((file) => docCommentBlocks(file, read(file)));
}

/** Each option of a group (`store` → `sessions`), but the names that are top-level options too. */
function groupMembers(): Map<string, string> {
  const paths = readOptionFields().map((field) => field.path);
  const top = new Set(paths.filter((path) => !path.includes(".")));
  const members = new Map<string, string>();
  for (const path of paths) {
    const [group, name, deeper] = path.split(".");
    if (name !== undefined && deeper === undefined && top.has(group) && !top.has(name)) {
      members.set(name, group);
    }
  }
  return members;
}

/**
 * The options `code` gives at the top level of a `createMcpHandler({ … })` call that belong to a
 * group: `"line 3: requestState (write stateless: { requestState })"`.
 */
function ungroupedOptions(code: string, members: ReadonlyMap<string, string>): string[] {
  const source = ts.createSourceFile("block.ts", code, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) && ts.isIdentifier(node.expression) &&
      node.expression.text === "createMcpHandler" && node.arguments.length > 0 &&
      ts.isObjectLiteralExpression(node.arguments[0])
    ) {
      for (const property of node.arguments[0].properties) {
        if (property.name === undefined || ts.isComputedPropertyName(property.name)) continue;
        const name = property.name.text;
        const group = members.get(name);
        if (group === undefined) continue;
        const line = source.getLineAndCharacterOfPosition(property.getStart()).line + 1;
        found.push(`line ${line}: ${name} (write ${group}: { ${name} })`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The inline code spans of a page's prose that set a group's option without its group:
 * `` `requestState: { keys }` `` (not `` `stateless: { requestState … }` `` or
 * `` `stateless.requestState` ``).
 */
function ungroupedSpans(text: string, members: ReadonlyMap<string, string>): string[] {
  const prose = text.replace(/^```[\s\S]*?^```$/gm, "");
  const found: string[] = [];
  for (const match of prose.matchAll(/`(\w+): [^`]*`/g)) {
    const group = members.get(match[1]);
    if (group !== undefined) found.push(`${match[0]} (write ${group}: { ${match[1]}: … })`);
  }
  return found;
}

describe("guides: options in their groups", () => {
  const members = groupMembers();

  it("the groups are read from the option types", () => {
    assert.equal(members.get("requestState"), "stateless");
    assert.equal(members.get("store"), "sessions");
    assert.equal(members.get("maxBodyBytes"), "http");
    assert.equal(members.get("authenticate"), "auth");
    assert.equal(members.get("name"), undefined, "a top-level option");
  });

  it("an ungrouped option is found, a grouped one is not", () => {
    const code = `createMcpHandler({ name: "a", version: "1", requestState: { keys: [k] },
      stateless: { cacheHints: {} }, ...spread, authenticate });`;
    assert.deepEqual(ungroupedOptions(code, members), [
      "line 1: requestState (write stateless: { requestState })",
      "line 2: authenticate (write auth: { authenticate })",
    ]);
    assert.deepEqual(
      ungroupedSpans(
        "Keys: `requestState: { keys: [a] }`; `stateless: { requestState }`.",
        members,
      ),
      ["`requestState: { keys: [a] }` (write stateless: { requestState: … })"],
    );
  });

  it("the README's and the guides' blocks give every option in its group", () => {
    const blocks = guideBlocks();
    assert.ok(blocks.length >= 30, `found ${blocks.length} blocks`);
    const found = blocks.flatMap((block) =>
      ungroupedOptions(block.code, members).map((where) => `${block.page}:${block.line} ${where}`)
    );
    assert.deepEqual(found, []);
  });

  it("the guides' prose writes each option in its group", () => {
    const found = guidePages().flatMap((page) =>
      ungroupedSpans(read(page), members).map((span) => `${page}: ${span}`)
    );
    assert.deepEqual(found, []);
  });

  it("the doc comments' and the examples' handlers give every option in its group", () => {
    const found = [
      ...commentBlocks().flatMap((block) =>
        ungroupedOptions(block.code, members).map((where) => `${block.page}:${block.line} ${where}`)
      ),
      ...modules("examples").flatMap((file) =>
        ungroupedOptions(read(file), members).map((where) => `${file} ${where}`)
      ),
    ];
    assert.deepEqual(found, []);
  });
});

describe("guides: fences and commands", () => {
  it("a fence is `ts`, `ts runnable` or `ts ignore (reason)`", () => {
    assert.equal(fenceProblem(""), undefined);
    assert.equal(fenceProblem("runnable"), undefined);
    assert.equal(fenceProblem("ignore (needs a live upstream)"), undefined);
    assert.match(fenceProblem("ignore") ?? "", /says why/);
    assert.match(fenceProblem("ignore ()") ?? "", /says why/);
    assert.match(fenceProblem("ignore needs a live upstream") ?? "", /says why/);
    assert.match(fenceProblem("runable") ?? "", /a fence reads/);
  });

  it("every `ts ignore` block of src/, examples/, docs/ and the README says why", () => {
    const blocks = [...commentBlocks(), ...guideBlocks([...guidePages(), "docs/options.md"])];
    const ignored = blocks.filter((block) => block.info.startsWith("ignore"));
    const unexplained = ignored
      .filter((block) => fenceProblem(block.info) !== undefined)
      .map((block) => `${block.page}:${block.line} ts ${block.info}`);
    assert.deepEqual(unexplained, []);
  });

  it("every `jsr add` in the README and the guides runs without a terminal (npx -y)", () => {
    let commands = 0;
    for (const page of guidePages()) {
      for (
        const match of read(page).matchAll(/\b(npx|bunx|pnpm dlx|yarn dlx)\s+(\S+\s+)?jsr add\b/g)
      ) {
        commands++;
        if (match[1] === "npx") assert.equal(match[2]?.trim(), "-y", `${page}: ${match[0]}`);
      }
    }
    assert.ok(commands >= 2, `found ${commands} jsr add commands`);
  });
});

describe("scripts/check_guides.ts", () => {
  const exported = new Set(Object.keys(JSON.parse(read("deno.json")).exports));

  it("reads the blocks, their fences, names and imports", () => {
    const page = "Intro.\n\n```ts ignore (a fragment)\nx;\n```\n\n```typescript\n// server.ts\n" +
      'import { a } from "@tether/mcp";\nexport { b } from "./other.ts";\n```\n';
    const blocks = markdownBlocks("p.md", page);
    assert.deepEqual(blocks.map((block) => [block.line, block.info]), [
      [3, "ignore (a fragment)"],
      [7, ""],
    ]);
    assert.equal(blockName(blocks[1].code), "server.ts");
    assert.deepEqual(importedSpecifiers(blocks[1].code), ["@tether/mcp", "./other.ts"]);
    const comment = "/**\n * @example\n * ```ts\n * const a = 1;\n * ```\n */\n";
    assert.deepEqual(docCommentBlocks("m.ts", comment).map((block) => block.code), [
      "const a = 1;\n",
    ]);
  });

  it("a guide imports only published entry points and blocks of its own page", () => {
    const named = new Set(["server.ts"]);
    assert.equal(importProblem("@tether/mcp/testing", exported, named), undefined);
    assert.equal(importProblem("./server.ts", exported, named), undefined);
    assert.equal(importProblem("zod", exported, named), undefined);
    assert.match(importProblem("./otel.ts", exported, named) ?? "", /no block of the page/);
    assert.match(importProblem("../examples/otel.ts", exported, named) ?? "", /examples\//);
    assert.match(importProblem("@tether/mcp/internal", exported, named) ?? "", /entry point/);
  });

  it("fails on a page whose block does not type-check, and passes it fixed", {
    timeout: 240_000,
  }, () => {
    // One page for both runs: main() checks its block at the same path each time, so the second
    // deno check reuses the first one's incremental build (half the time) instead of starting cold.
    const folder = join(ROOT, ".tmp", `check-guides-test-${process.pid}`);
    mkdirSync(folder, { recursive: true });
    const page = join(folder, "page.md");
    const block = (options: string) =>
      '```ts\nimport { createMcpHandler } from "@tether/mcp";\n' +
      `createMcpHandler({ name: "a", version: "1", ${options} });\n\`\`\`\n`;
    const log = console.error;
    try {
      console.error = () => {};
      writeFileSync(page, block("requestState: { keys: [] }"));
      assert.equal(main([relative(ROOT, page)]), 1, "an ungrouped option does not type-check");
      writeFileSync(page, block("stateless: { requestState: { keys: [] } }"));
      assert.equal(main([relative(ROOT, page)]), 0);
    } finally {
      console.error = log;
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
