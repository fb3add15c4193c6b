/**
 * scripts/docs_api.ts (npm run docs:api): `deno doc --html` over every deno.json export, into a
 * folder of our choosing, gives the index, a page per subpath and a page per exported symbol.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildApiDocs } from "../../../scripts/docs_api.ts";

const REPOSITORY = fileURLToPath(new URL("../../..", import.meta.url));

describe("scripts/docs_api.ts", () => {
  it("documents every entry point of deno.json, each symbol on its page", () => {
    const out = join(mkdtempSync(join(tmpdir(), "docs-api-")), "api");
    try {
      const subpaths = buildApiDocs(out);
      const exports = JSON.parse(readFileSync(join(REPOSITORY, "deno.json"), "utf8")).exports;
      assert.deepEqual(subpaths, Object.keys(exports));
      assert.match(readFileSync(join(out, "index.html"), "utf8"), /@tether\/mcp\/node/);
      for (
        const page of [
          "~/createMcpHandler.html",
          "~/defineTool.html",
          "node/~/serve.html",
          "redis/~/createRedisBackend.html",
          "storage/~/StorageBackend.html",
          "tasks/~/MemoryTaskStore.html",
          "testing/~/connect.html",
          "oauth/index.html",
          "hono/index.html",
          "cloudflare/index.html",
        ]
      ) {
        assert.ok(existsSync(join(out, page)), `${page} is written`);
      }
    } finally {
      rmSync(join(out, ".."), { recursive: true, force: true });
    }
  });
});
