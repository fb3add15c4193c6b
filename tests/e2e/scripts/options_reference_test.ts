/**
 * scripts/options_reference.ts (npm run docs:options): docs/options.md is generated from the
 * option types and the defaults table, and its check fails on a missing or wrong `@default` tag.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  main,
  type OptionField,
  readOptionFields,
  renderDefault,
  tableDefault,
  tagProblems,
} from "../../../scripts/options_reference.ts";
import { DEFAULTS } from "../../../src/config/defaults.ts";

const field = (path: string, tag: string | undefined): OptionField => ({
  path,
  type: "number",
  required: false,
  doc: "A field.",
  tag,
});

describe("scripts/options_reference.ts", () => {
  it("the committed docs/options.md is what the types and the defaults table give", () => {
    assert.equal(main(["--check"]), 0);
  });

  it("a page that drifted fails the check; writing it again passes", () => {
    const folder = mkdtempSync(join(tmpdir(), "options-reference-"));
    const page = join(folder, "options.md");
    try {
      writeFileSync(page, "# Options\n\n- **`maxBodyBytes`**: the old place\n");
      assert.equal(main(["--check"], page), 1);
      assert.equal(main([], page), 0);
      assert.match(readFileSync(page, "utf8"), /`http\.maxBodyBytes`/);
      assert.equal(main(["--check"], page), 0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("every option field is documented, each group's fields under its group", () => {
    const paths = readOptionFields().map((option) => option.path);
    for (
      const path of [
        "name",
        "http.bodyTimeoutMs",
        "security.cors.maxAgeSeconds",
        "auth.oauth.verifyAccessToken",
        "limits.maxConcurrentRequestsPerPrincipal",
        "sessions.idleTtlMs",
        "streams.orphanTimeoutMs",
        "stateless.requestState.ttlMs",
        "observe.onError",
      ]
    ) {
      assert.ok(paths.includes(path), path);
    }
    assert.ok(!paths.includes("maxBodyBytes"), "no option is left at its old top-level place");
  });

  it("a field without @default, or one that disagrees with the table, is a problem", () => {
    assert.deepEqual(
      tagProblems([field("http.bodyTimeoutMs", "30_000")]).filter((p) => p.startsWith("http")),
      [],
    );
    assert.match(
      tagProblems([field("http.bodyTimeoutMs", undefined)])[0],
      /http.bodyTimeoutMs: no @default tag/,
    );
    assert.match(
      tagProblems([field("http.bodyTimeoutMs", "20_000")])[0],
      /@default \{20_000\} but the table says 30_000/,
    );
  });

  it("defaults are read from the table and written as a tag writes them", () => {
    assert.equal(tableDefault("http.maxBodyBytes"), DEFAULTS.http.maxBodyBytes);
    assert.equal(tableDefault("security.cors.maxAgeSeconds"), 600);
    assert.equal(tableDefault("name"), undefined);
    assert.equal(renderDefault(4 * 1024 * 1024), "4_194_304");
    assert.equal(renderDefault(64), "64");
    assert.equal(renderDefault("/mcp"), '"/mcp"');
    assert.equal(renderDefault(["a", "b"]), '["a", "b"]');
  });
});
