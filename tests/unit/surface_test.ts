/**
 * The public surface: every entry point of deno.json `exports` lists its names (no `export *`,
 * no `export type *`) and stays within its bound: `@tether/mcp` at most 70 names,
 * `@tether/mcp/types` (the wire vocabulary) at most 100, every other subpath at most 40, and the
 * names documented across all of them are pinned. `@tether/mcp` stays small (the handler,
 * `define*`, the context, error and option types), the wire vocabulary is reachable from
 * `@tether/mcp/types`, the storage seams from `@tether/mcp/storage` and MCP Apps from
 * `@tether/mcp/apps`, and internals are exported from none of them. The type names are checked
 * by the type checker (Deno type-checks this file).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { entryPoints } from "../../scripts/entry_points.ts";
import * as root from "../../mod.ts";
import * as apps from "../../src/extensions/apps/mod.ts";
import * as extensions from "../../src/extensions/mod.ts";
import * as storage from "../../src/storage/mod.ts";
import * as types from "../../src/types/mod.ts";
import type {
  CallToolResult,
  ElicitResult,
  JsonRpcMessage,
  JsonSchema,
  RequestContext,
  StandardSchemaV1,
  TextContent,
  ToolRegistry,
} from "../../src/types/mod.ts";
import type {
  EventLog,
  MessageBus,
  RateLimitStore,
  SessionRecord,
  SessionStore,
  TaskStore,
} from "../../src/storage/mod.ts";
import type { AppToolDefinition } from "../../src/extensions/apps/mod.ts";

const ROOT = new URL("../../", import.meta.url);

/** The most names one entry point may export: the core 70, the wire vocabulary 100, others 40. */
const BOUNDS: Record<string, number> = { ".": 70, "./types": 100 };
const SUBPATH_BOUND = 40;

/**
 * The most distinct names all entry points document together (what `deno doc --json` over them
 * lists, one count per name). Measured 332 once the gateway stopped re-exporting the core and
 * the vocabulary wholesale (359 before); the names the public functions' signatures reach (the
 * type closure of `createMcpHandler` alone is 142 names) keep it there until those signatures
 * name fewer types. 334 since `ListenTarget` (the listen stream a resource hook is told of) and
 * `REFUSAL_STEPS` (which `RefusalStep` is derived from: a public type names public ones) joined
 * `/types`; 345 with the second storage engine's entry point, `@tether/mcp/postgres` (11 names
 * of its own); 349 with its event log and bus (`PostgresEventLog`, `PostgresEventLogOptions`,
 * `PostgresBus`, `PostgresBusOptions`); 354 with its task and DPoP replay stores
 * (`PostgresTaskStore`, `PostgresDpopReplayStore`, their options, `ExpirySweepCounts`); 351 once
 * the rate-limit stores of both engines became internal (reached as `backend.rateLimitStore`,
 * typed as the seam) and `StorageBackend` joined `/storage`; 338 once every engine class went
 * internal (a backend's fields are typed as the seams; standalone use goes through the factories'
 * options). It goes down, or up only by a new entry point's own names.
 */
const DISTINCT_NAMES_AT_MOST = 338;

/**
 * The names an entry point's source exports: its `export { … } from` and `export type { … } from`
 * clauses and its own `export` declarations. Fails on `export *` and `export type *`, which name
 * nothing and so escape every bound.
 */
function exportedNames(path: string): string[] {
  const text = readFileSync(new URL(path, ROOT), "utf8");
  assert.doesNotMatch(text, /^export (type )?\*/m, `${path} lists its names (no export *)`);
  const names: string[] = [];
  for (const match of text.matchAll(/^export (?:type )?\{([^}]*)\}/gm)) {
    for (const item of match[1].split(",")) {
      const name = item.trim().replace(/^type\s+/, "").replace(/^.*\sas\s+/, "");
      if (name !== "") names.push(name);
    }
  }
  const declaration =
    /^export (?:declare )?(?:default )?(?:async )?(?:abstract )?(?:function\*?|class|interface|type|const|let|var|enum) ([A-Za-z_$][\w$]*)/gm;
  for (const match of text.matchAll(declaration)) names.push(match[1]);
  return names;
}

describe("every entry point of deno.json", () => {
  const entries = entryPoints(fileURLToPath(ROOT));

  it("lists every name it exports, none twice, within its bound", () => {
    assert.ok(entries.length >= 16, `${entries.length} entry points`);
    for (const { subpath, file } of entries) {
      const names = exportedNames(file);
      const bound = BOUNDS[subpath] ?? SUBPATH_BOUND;
      assert.ok(names.length > 0, `${subpath} (${file}) exports no name`);
      assert.ok(names.length <= bound, `${subpath} (${file}) exports ${names.length} > ${bound}`);
      assert.equal(new Set(names).size, names.length, `${subpath} exports a name twice`);
    }
  });

  it(`documents at most ${DISTINCT_NAMES_AT_MOST} distinct names together`, () => {
    const distinct = new Set(entries.flatMap(({ file }) => exportedNames(file)));
    assert.ok(
      distinct.size <= DISTINCT_NAMES_AT_MOST,
      `${distinct.size} distinct names > ${DISTINCT_NAMES_AT_MOST}`,
    );
  });

  it("re-exports neither the core's definitions nor the wire vocabulary from the gateway", () => {
    const gateway = exportedNames("src/gateway/mod.ts");
    for (const name of ["defineTool", "HandlerContext", "CallToolResult", "JsonRpcMessage"]) {
      assert.equal(gateway.includes(name), false, `@tether/mcp/gateway: ${name}`);
    }
  });
});

describe("the public surface", () => {
  it("@tether/mcp lists every value it exports", () => {
    const names = exportedNames("mod.ts");
    for (const value of Object.keys(root)) assert.ok(names.includes(value), value);
  });

  it("keeps the core on @tether/mcp", () => {
    for (
      const name of [
        "createMcpHandler",
        "defineTool",
        "defineResource",
        "defineResourceTemplate",
        "definePrompt",
        "McpError",
        "ErrorCode",
        "UrlElicitationRequiredError",
        "AuthenticationError",
        "StorageUnavailableError",
        "attachPrincipal",
        "tokenBucket",
      ]
    ) assert.ok(name in root, name);
  });

  it("exports no internals and no duplicate", () => {
    for (
      const name of [
        "ownerKeyOf",
        "generateSessionId",
        "stringifySseMessage",
        "defaultEventLogBudget",
        "SUPPORTED_PROTOCOL_VERSIONS",
      ]
    ) {
      assert.equal(name in root, false, `@tether/mcp: ${name}`);
      assert.equal(name in types, false, `@tether/mcp/types: ${name}`);
      assert.equal(name in storage, false, `@tether/mcp/storage: ${name}`);
    }
  });

  it("puts the surface for writing an extension on @tether/mcp/extensions", () => {
    for (const name of ["deferResult", "isDeferredResult", "missingExtension", "negotiated"]) {
      assert.equal(name in root, false, `@tether/mcp: ${name}`);
      assert.equal(typeof (extensions as Record<string, unknown>)[name], "function", name);
    }
    assert.equal(extensions.negotiated({ extensions: { "a/b": {} } }, "a/b"), true);
  });

  it("moves the wire vocabulary to @tether/mcp/types", () => {
    assert.deepEqual(types.SUPPORTED_LEGACY_PROTOCOL_VERSIONS, [
      "2025-11-25",
      "2025-06-18",
      "2025-03-26",
    ]);
    assert.deepEqual(types.SUPPORTED_MODERN_PROTOCOL_VERSIONS, ["2026-07-28"]);
    assert.equal(types.isModernProtocolVersion("2026-07-28"), true);
    assert.equal(types.DEFAULT_CACHE_HINT.ttlMs >= 0, true);
    for (const name of ["isModernProtocolVersion", "SUPPORTED_LEGACY_PROTOCOL_VERSIONS"]) {
      assert.equal(name in root, false, name);
    }
    const result: CallToolResult = { content: [{ type: "text", text: "hi" } as TextContent] };
    const message: JsonRpcMessage = { jsonrpc: "2.0", method: "ping", id: 1 };
    const schema: JsonSchema = { type: "object" };
    const unused: [
      ElicitResult?,
      RequestContext?,
      StandardSchemaV1?,
      ToolRegistry?,
    ] = [];
    assert.ok(result && message && schema && unused);
  });

  it("names the latest revision for what it is", () => {
    const all = [
      ...types.SUPPORTED_LEGACY_PROTOCOL_VERSIONS,
      ...types.SUPPORTED_MODERN_PROTOCOL_VERSIONS,
    ];
    assert.equal(types.LATEST_PROTOCOL_VERSION, "2026-07-28");
    assert.equal(types.LATEST_PROTOCOL_VERSION, all.sort().at(-1));
    assert.equal(types.LATEST_LEGACY_PROTOCOL_VERSION, "2025-11-25");
    assert.equal(types.LATEST_LEGACY_PROTOCOL_VERSION, types.SUPPORTED_LEGACY_PROTOCOL_VERSIONS[0]);
  });

  it("moves the storage seams and their memory implementations to @tether/mcp/storage", () => {
    for (
      const name of [
        "MemorySessionStore",
        "MemoryEventLog",
        "MemoryBus",
        "MemoryRateLimitStore",
        "MemoryTaskStore",
        "BusMessageTooLargeError",
        "StorageUnavailableError",
      ] as const
    ) {
      assert.equal(typeof storage[name], "function", name);
      if (name !== "StorageUnavailableError") assert.equal(name in root, false, name);
    }
    const seams: [
      SessionStore,
      EventLog,
      MessageBus,
      RateLimitStore,
      TaskStore,
      SessionRecord?,
    ] = [
      new storage.MemorySessionStore(),
      new storage.MemoryEventLog(),
      new storage.MemoryBus(),
      new storage.MemoryRateLimitStore(),
      new storage.MemoryTaskStore(),
    ];
    assert.equal(seams.length, 5);
  });

  it("moves MCP Apps to @tether/mcp/apps", () => {
    for (
      const name of ["defineAppResource", "defineAppTool", "appsExtension", "clientSupportsApps"]
    ) {
      assert.equal(typeof (apps as Record<string, unknown>)[name], "function", name);
      assert.equal(name in root, false, name);
    }
    assert.equal(apps.APP_MIME_TYPE, "text/html;profile=mcp-app");
    const tool: AppToolDefinition = {
      name: "view",
      ui: { resourceUri: "ui://a/b.html" },
      handler: () => "",
    };
    assert.equal(apps.defineAppTool(tool).name, "view");
  });

  it("lists each entry point in deno.json, hence in the npm package", () => {
    const deno = JSON.parse(readFileSync(new URL("deno.json", ROOT), "utf8")) as {
      exports: Record<string, string>;
    };
    assert.equal(deno.exports["./types"], "./src/types/mod.ts");
    assert.equal(deno.exports["./storage"], "./src/storage/mod.ts");
    assert.equal(deno.exports["./apps"], "./src/extensions/apps/mod.ts");
    assert.equal(deno.exports["./tasks"], "./src/extensions/tasks/mod.ts");
    assert.equal(deno.exports["./extensions"], "./src/extensions/mod.ts");
  });
});
