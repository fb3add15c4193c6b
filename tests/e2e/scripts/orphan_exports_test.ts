/**
 * No orphan exports: every type an entry point exports is named in the
 * public signature of another export (an option's field, a function's
 * parameter or result, an interface it extends), or is listed in
 * {@linkcode OWN_USE} with what a user does with it on its own. Read from
 * `deno doc --json` over every entry point of deno.json, the way JSR
 * documents them; values (functions, classes, constants) are used directly
 * and never orphans. A type made internal elsewhere, or a new type nothing
 * names, fails here until it is named or listed.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { entryPoints } from "../../../scripts/entry_points.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DENO = `${ROOT}node_modules/.bin/deno`;

/** Exported types no signature names, each documented for a use of its own. */
const OWN_USE: Record<string, string> = {
  ErrorCodeValue: "types the code of an McpError a handler throws",
  SchemaAccepted: "types the value a schema accepts, in a user's own helpers",
  ZodSchemaLike: "types a zod schema given to defineTool, in a user's own helpers",
};

interface DocSymbol {
  name: string;
  declarations: { kind: string; def?: unknown }[];
}

/** The type names `value` refers to (type references and `extends`), docs and locations left out. */
function namesIn(value: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) namesIn(item, found);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "jsDoc" || key === "location") continue;
      if ((key === "typeName" || key === "extends") && typeof inner === "string") {
        found.add(inner.split(".")[0]);
      } else namesIn(inner, found);
    }
  }
  return found;
}

/** Every entry point's exported symbols, as `deno doc --json` documents them. */
function documentedSymbols(): DocSymbol[] {
  const files = entryPoints().map((entry) => entry.file);
  const text = execFileSync(DENO, ["doc", "--json", ...files], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const nodes = (JSON.parse(text) as { nodes: Record<string, { symbols: DocSymbol[] }> }).nodes;
  return Object.values(nodes).flatMap((node) => node.symbols);
}

/** The exported types no other export names, by the symbols given. */
function orphansOf(symbols: readonly DocSymbol[]): string[] {
  const named = new Set<string>();
  const typesOnly = new Set<string>();
  const kinds = new Map<string, Set<string>>();
  for (const symbol of symbols) {
    const own = kinds.get(symbol.name) ?? new Set<string>();
    for (const declaration of symbol.declarations) own.add(declaration.kind);
    kinds.set(symbol.name, own);
    const refs = new Set<string>();
    for (const declaration of symbol.declarations) namesIn(declaration.def, refs);
    refs.delete(symbol.name);
    for (const ref of refs) named.add(ref);
  }
  for (const [name, own] of kinds) {
    if ([...own].every((kind) => kind === "interface" || kind === "typeAlias")) typesOnly.add(name);
  }
  return [...typesOnly].filter((name) => !named.has(name)).sort();
}

describe("the public surface has no orphan exports", () => {
  const symbols = documentedSymbols();

  it("reads every entry point's symbols (positive control)", () => {
    const names = new Set(symbols.map((symbol) => symbol.name));
    for (
      const name of ["createMcpHandler", "McpHandlerOptions", "StorageBackend", "RedisBackend"]
    ) {
      assert.ok(names.has(name), `${name} is documented`);
    }
    // The walk finds names inside signatures: the handler's options name the storage backend.
    const options = symbols.find((symbol) => symbol.name === "McpHandlerOptions");
    assert.ok(namesIn(options?.declarations.map((d) => d.def), new Set()).has("StorageBackend"));
  });

  it("every exported type is named by another export, or listed with its own use", () => {
    assert.deepEqual(orphansOf(symbols), Object.keys(OWN_USE).sort());
  });

  it("finds an orphan when nothing names a type", () => {
    const made: DocSymbol[] = [
      { name: "Used", declarations: [{ kind: "interface", def: { properties: [] } }] },
      { name: "Lonely", declarations: [{ kind: "typeAlias", def: {} }] },
      {
        name: "make",
        declarations: [{
          kind: "function",
          def: { returnType: { typeRef: { typeName: "Used" } } },
        }],
      },
    ];
    assert.deepEqual(orphansOf(made), ["Lonely"]);
  });
});
