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
  inlineDefaultProblems,
  inlineDefaults,
  main,
  type OptionField,
  readOptionFields,
  renderDefault,
  SUBPATH_TABLES,
  tableDefault,
  tagProblems,
} from "../../../scripts/options_reference.ts";
import { DEFAULTS } from "../../../src/config/defaults.ts";
import { GATEWAY_DEFAULTS } from "../../../src/gateway/gateway_defaults.ts";

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
      tagProblems([field("http.bodyTimeoutMs", "30_000")]).filter((p) =>
        p.startsWith("http.bodyTimeoutMs:")
      ),
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

  it("the subpaths' tables are read like the handler's, and their tags are checked against them", () => {
    assert.equal(
      tableDefault("GatewayOptions.maxSessions"),
      GATEWAY_DEFAULTS.GatewayOptions.maxSessions,
    );
    assert.equal(tableDefault("RedisBackendOptions.commandTimeoutMs"), 2_000);
    assert.equal(tableDefault("PostgresBackendOptions.statementTimeoutMs"), 2_000);
    assert.equal(tableDefault("TasksOptions.ttlMs"), 3_600_000);
    assert.deepEqual(
      SUBPATH_TABLES.map((table) => table.subpath),
      ["@tether/mcp/gateway", "@tether/mcp/redis", "@tether/mcp/postgres", "@tether/mcp/tasks"],
    );
    const fields = readOptionFields();
    for (
      const path of [
        "GatewayOptions.maxSessions",
        "RedisEventLogOptions.ttlSeconds",
        "PostgresSessionStoreOptions.maxSweptPerSweep",
        "TasksOptions.leaseMs",
      ]
    ) {
      assert.ok(fields.some((option) => option.path === path), path);
    }
    assert.deepEqual(tagProblems(fields), []);
    assert.deepEqual(
      tagProblems([field("GatewayOptions.maxSessions", "1_000")]).filter((p) =>
        p.startsWith("GatewayOptions.maxSessions:")
      ),
      [],
    );
    assert.match(
      tagProblems([field("GatewayOptions.maxSessions", "2_000")])[0],
      /GatewayOptions\.maxSessions: @default \{2_000\} but the table says 1_000/,
    );
    assert.match(
      tagProblems([field("TasksOptions.leaseMs", undefined)])[0],
      /TasksOptions\.leaseMs: no @default tag/,
    );
  });

  it("a plain default written in a tag only, or a table entry with no option, is a problem", () => {
    assert.match(
      tagProblems([field("GatewayOptions.maxWidgets", "5")])[0],
      /GatewayOptions\.maxWidgets: @default \{5\} is written in the tag only; put it in GATEWAY_DEFAULTS/,
    );
    assert.match(
      tagProblems([field("http.maxWidgets", '"wide"')])[0],
      /http\.maxWidgets: @default \{"wide"\} is written in the tag only; put it in DEFAULTS/,
    );
    assert.deepEqual(
      tagProblems([field("GatewayOptions.maxAnonymousSessions", "half of maxSessions")])
        .filter((p) => p.startsWith("GatewayOptions.maxAnonymousSessions:")),
      [],
    );
    assert.ok(
      tagProblems([]).includes("GatewayOptions.maxSessions: in GATEWAY_DEFAULTS, no such option"),
    );
  });

  it("a default written inline where an option is read is a problem; one read from the table is not", () => {
    assert.deepEqual(
      inlineDefaults(
        "const a = options.maxFoo ?? 5;\nconst b = options.maxFoo ?? DEFAULT.maxFoo;\n",
      ),
      [
        { line: 1, code: "options.maxFoo ?? 5" },
      ],
    );
    assert.deepEqual(
      inlineDefaults(
        'x(options?.mode ?? "hide", settings.on ?? false);\n' +
          'positive("ttlMs", options.ttlMs, 3_600_000);\n' +
          'positive("ttlMs", options.ttlMs, DEFAULT.ttlMs);\n' +
          "bucketsFor(options.maxTotalBytes, 16 * 1024 * 1024, 16);\n" +
          " * options.maxFoo ?? 5 in a comment\n" +
          "held.get(owner) ?? 0;\n",
      ).map((found) => found.code),
      ['options?.mode ?? "', "settings.on ?? false", "options.ttlMs, 3_600_000)"],
    );
    assert.deepEqual(inlineDefaultProblems(), []);
  });
});
