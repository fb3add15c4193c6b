/**
 * Every code block of docs/ marked runnable (```` ```ts runnable ````, as
 * docs/README.md says) run as written: its `@tether/mcp` imports (and
 * subpaths) pointed at this checkout's files, nothing else changed. Every
 * block is type-checked with `deno check`; a block that exports `handler` is
 * imported, served on a free port and answered the official SDK client's
 * initialize and list. Also: every MCP Inspector command the README, the
 * guides and the examples show passes `-y` (without it npx asks, and refuses
 * when there is no terminal to ask on), and the Cloudflare guide says how to
 * install and run wrangler.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { McpHandler } from "../../../mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { connectClient, WAIT_MS, withTimeout } from "../interop/helpers.ts";
import { page, ROOT, sectionOf } from "./docs_text.ts";

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

/** Runs `deno check` on `paths`; resolves with its exit code and output. */
function denoCheck(paths: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, "node_modules", ".bin", "deno"),
      ["check", "--quiet", ...paths],
      { cwd: ROOT, timeout: 240_000, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe("docs: runnable blocks", () => {
  it("the guides mark runnable blocks, and each is a whole module importing tether", () => {
    assert.ok(blocks.length >= 10, `found ${blocks.length} runnable blocks`);
    for (const block of blocks) {
      assert.match(block.code, /from "@tether\/mcp/, `${block.page}:${block.line} imports tether`);
    }
  });

  // deno check of every block takes 20-25 s on two cores beside the other lanes: past bun test's
  // 30 s default under load, so the test waits as long as the check may run (its own 240 s).
  it("every runnable block type-checks with deno check", { timeout: 300_000 }, async () => {
    assert.ok(files.length > 0, "runnable blocks to check");
    const { code, output } = await denoCheck(files);
    assert.equal(code, 0, output);
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
