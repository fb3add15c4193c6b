/**
 * Every code block of docs/ marked runnable (```` ```ts runnable ````, as
 * docs/README.md says) run as written: its `@tether/mcp` imports (and
 * subpaths) pointed at this checkout's files, nothing else changed. A block
 * that exports `handler` is imported, served on a free port and answered the
 * official SDK client's initialize and list. The blocks' types are
 * scripts/check_guides.ts's job (CI runs it over every block of the README
 * and docs/; tests/e2e/scripts/check_guides_test.ts shows it refuses a block
 * that does not type-check): this file checks that every runnable block is
 * among the blocks it type-checks and that CI runs it, rather than
 * type-checking the same blocks a second time. Also: every MCP Inspector
 * command the README, the guides and the examples show passes `-y` (without
 * it npx asks, and refuses when there is no terminal to ask on), and the
 * Cloudflare guide says how to install and run wrangler.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { McpHandler } from "../../../mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { connectClient, WAIT_MS, withTimeout } from "../interop/helpers.ts";
import { page, ROOT, sectionOf } from "./docs_text.ts";
import { fenceProblem, guidePages, markdownBlocks } from "../../../scripts/check_guides.ts";

/** One runnable block: the page and line it starts on, and its code. */
interface Runnable {
  page: string;
  line: number;
  code: string;
}

/** The runnable blocks of every page in docs/, in page and line order. */
function runnableBlocks(): Runnable[] {
  const found: Runnable[] = [];
  for (const name of readdirSync(join(ROOT, "docs")).filter((n) => n.endsWith(".md")).sort()) {
    const text = page(`docs/${name}`);
    for (const match of text.matchAll(/^```ts runnable\n([\s\S]*?)^```$/gm)) {
      const line = text.slice(0, match.index).split("\n").length;
      found.push({ page: `docs/${name}`, line, code: match[1] });
    }
  }
  return found;
}

const EXPORTS: Record<string, string> = JSON.parse(page("deno.json")).exports;

/** `code` with each `"@tether/mcp…"` specifier replaced by the file URL deno.json exports it from. */
function pointed(code: string): string {
  return code.replace(/(["'])@tether\/mcp(\/[\w/-]+)?\1/g, (whole, _quote, subpath = "") => {
    const file = EXPORTS[`.${subpath}`];
    assert.ok(file !== undefined, `deno.json exports ${whole}`);
    return JSON.stringify(pathToFileURL(join(ROOT, file)).href);
  });
}

const blocks = runnableBlocks();
// Inside the checkout, so bare imports (zod, valibot, arktype) resolve from its node_modules.
const WORK = mkdtempSync(join(ROOT, "tests", "e2e", "examples", ".docs-blocks-"));
after(() => rmSync(WORK, { recursive: true, force: true }));
const files = blocks.map((block) => {
  const file = join(WORK, `${block.page.slice(5, -3).replaceAll("-", "_")}_${block.line}.ts`);
  writeFileSync(file, pointed(block.code));
  return file;
});

describe("docs: runnable blocks", () => {
  it("the guides mark runnable blocks, and each is a whole module importing tether", () => {
    assert.ok(blocks.length >= 10, `found ${blocks.length} runnable blocks`);
    for (const block of blocks) {
      assert.match(block.code, /from "@tether\/mcp/, `${block.page}:${block.line} imports tether`);
    }
  });

  it("scripts/check_guides.ts type-checks every runnable block, and CI runs it over every page", () => {
    const pages = new Set(guidePages());
    for (const block of blocks) {
      const where = `${block.page}:${block.line}`;
      assert.ok(pages.has(block.page), `${where}: check_guides reads ${block.page}`);
      const checked = markdownBlocks(block.page, page(block.page)).find((candidate) =>
        candidate.line === block.line
      );
      assert.ok(checked !== undefined, `${where}: check_guides finds the block`);
      assert.equal(checked.info, "runnable", where);
      assert.equal(checked.code, block.code, where);
      // A block is type-checked unless its fence is `ts ignore (why)`; `runnable` is no problem.
      assert.equal(fenceProblem(checked.info), undefined, where);
    }
    // The CI step: the script with no page arguments, which checks every page guidePages lists.
    assert.match(page(".ci/run"), /^\s+\$NODE scripts\/check_guides\.ts\s*$/m);
  });

  for (const [index, block] of blocks.entries()) {
    if (!/^export const handler\b/m.test(block.code)) continue;
    it(`${block.page}:${block.line} serves the official SDK client`, async () => {
      const { handler } = await import(pathToFileURL(files[index]).href) as {
        handler: McpHandler;
      };
      const running = await serveHandler(handler, 0);
      try {
        const connection = await withTimeout(
          connectClient(`${running.url}/mcp`),
          WAIT_MS,
          "connecting",
        );
        try {
          const capabilities = connection.client.getServerCapabilities() ?? {};
          if (capabilities.tools !== undefined) {
            const { tools } = await connection.client.listTools(undefined, { timeout: WAIT_MS });
            assert.ok(tools.length > 0, "it lists its tools");
          } else {
            await connection.client.ping({ timeout: WAIT_MS });
          }
        } finally {
          await connection.close();
        }
      } finally {
        await running.close();
        await handler.close();
      }
    });
  }
});

describe("docs: Cloudflare Workers", () => {
  it("the Durable Object setup says how to install wrangler and run it, after its files", () => {
    const section = sectionOf("docs/hosts.md", "## Cloudflare Workers");
    const run = section.indexOf("```sh\nnpm i -D wrangler && npx wrangler dev\n```");
    assert.ok(run !== -1, "an install and run step");
    assert.ok(run > section.indexOf("// wrangler.jsonc"), "after the files it runs");
  });
});

describe("docs: Inspector commands", () => {
  it("every `npx … @modelcontextprotocol/inspector` in the README, the guides and the examples passes -y", () => {
    const sources = [
      "README.md",
      ...readdirSync(join(ROOT, "docs")).filter((n) => n.endsWith(".md")).map((n) => `docs/${n}`),
      ...readdirSync(join(ROOT, "examples"), { recursive: true, encoding: "utf8" })
        .filter((n) => n.endsWith(".ts")).map((n) => `examples/${n}`),
    ];
    let commands = 0;
    for (const source of sources) {
      const text = readFileSync(join(ROOT, source), "utf8");
      for (const match of text.matchAll(/\bnpx\s+(\S+\s+)?@modelcontextprotocol\/inspector/g)) {
        commands++;
        assert.equal(match[1]?.trim(), "-y", `${source}: ${match[0]}`);
      }
    }
    assert.ok(commands >= 5, `found ${commands} Inspector commands`);
  });
});
