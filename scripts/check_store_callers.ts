/**
 * CI check: the session manager (`src/legacy/sessions/session_manager.ts`)
 * is the only caller of the session store (src/storage/sessions/). Every other module of `src/` that
 * reads a member of a value typed as the `SessionStore` seam, or as a class
 * that implements it (`MemorySessionStore`, `RedisSessionStore`), fails the
 * check by file, line and expression; so does destructuring one.
 *
 *   node_modules/node24/bin/node scripts/check_store_callers.ts [root]
 *
 * (`root`, the repository to check, defaults to this one; the tests give it
 * a made-up tree.) It goes by types (the TypeScript checker), not by import
 * names, so a store reached through an option, an alias or inference counts
 * alike. What it lets be: naming the type (options, re-exports), passing a
 * store along to the manager, and an implementation using its own `this`.
 * It does not type-check the code (deno check does) and reads `src/` only.
 */

import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url));
const SOURCE = join(ROOT, "src");
/** The seam, and the one module that may call it. */
const SEAM_FILE = "storage/sessions/session_store.ts";
const SEAM_NAME = "SessionStore";
const CALLER_FILE = "legacy/sessions/session_manager.ts";

const files = readdirSync(SOURCE, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
  .map((entry) => join(entry.parentPath, entry.name))
  .sort();

// No lib and no package types: only the project's own declarations matter here, and it stays fast.
const program = ts.createProgram(files, {
  noLib: true,
  types: [],
  noResolve: true,
  allowImportingTsExtensions: true,
  noEmit: true,
  target: ts.ScriptTarget.ESNext,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
});
const checker = program.getTypeChecker();

/** The `SessionStore` interface's symbol, or undefined when the seam module does not declare it. */
function seamSymbol(): ts.Symbol | undefined {
  const seam = program.getSourceFile(join(SOURCE, SEAM_FILE));
  if (seam === undefined) return undefined;
  for (const statement of seam.statements) {
    if (ts.isInterfaceDeclaration(statement) && statement.name.text === SEAM_NAME) {
      return checker.getSymbolAtLocation(statement.name);
    }
  }
  return undefined;
}

const seam = seamSymbol();
if (seam === undefined) {
  console.error(`check_store_callers: src/${SEAM_FILE} declares no interface ${SEAM_NAME}`);
  process.exit(1);
}

/** A symbol with its import aliases followed. */
function resolved(symbol: ts.Symbol | undefined): ts.Symbol | undefined {
  if (symbol === undefined) return undefined;
  return (symbol.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(symbol) : symbol;
}

/** True for a class that declares `implements SessionStore`. */
function implementsSeam(symbol: ts.Symbol): boolean {
  for (const declaration of symbol.declarations ?? []) {
    if (!ts.isClassDeclaration(declaration)) continue;
    for (const clause of declaration.heritageClauses ?? []) {
      if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
      for (const type of clause.types) {
        if (resolved(checker.getSymbolAtLocation(type.expression)) === seam) return true;
      }
    }
  }
  return false;
}

/** True when a value of `type` is a session store (the seam, an implementation, or a union holding one). */
function isStore(type: ts.Type): boolean {
  if (type.isUnion() || type.isIntersection()) return type.types.some(isStore);
  const symbol = type.getSymbol();
  return symbol !== undefined && (symbol === seam || implementsSeam(symbol));
}

/** The expression whose members `node` reads, when it reads one: `x` of `x.m`, `x[k]`, `const { m } = x`. */
function receiverOf(node: ts.Node): ts.Expression | undefined {
  if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
    return node.expression;
  }
  if (
    ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) &&
    node.initializer !== undefined
  ) {
    return node.initializer;
  }
  return undefined;
}

const failures: string[] = [];
for (const sourceFile of program.getSourceFiles()) {
  const file = relative(SOURCE, sourceFile.fileName).replaceAll("\\", "/");
  if (file.startsWith("..") || file === CALLER_FILE) continue;
  const visit = (node: ts.Node): void => {
    const receiver = receiverOf(node);
    // An implementation's own members (`this.#entries`, `this.get(…)`) are its business.
    if (receiver !== undefined && receiver.kind !== ts.SyntaxKind.ThisKeyword) {
      if (isStore(checker.getTypeAtLocation(receiver))) {
        const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
        const text = node.getText(sourceFile).replace(/\s+/g, " ").slice(0, 60);
        failures.push(`src/${file}:${line + 1}: calls the session store (${text})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
}

if (failures.length > 0) {
  console.error(
    `check_store_callers: ${failures.length} problem(s); only src/${CALLER_FILE} calls the ` +
      `session store (give SessionManager a method for what the caller needs)\n  ${
        failures.join("\n  ")
      }`,
  );
  process.exit(1);
}
console.log(
  `check_store_callers: ${files.length} modules of src/ reach the session store only through ` +
    `src/${CALLER_FILE}`,
);
