/**
 * CI check: the import directions between the rooms of `src/` follow the
 * floor plan, there is no import circle, no module grows past 400
 * lines (`MAX_LINES`; the bench's modules too), and no folder of `src/`
 * holds more than 15 modules at its top level (`MAX_MODULES_PER_FOLDER`:
 * a flat room is split by job into rooms a reader can guess). The plan,
 * top to bottom:
 *
 *   handler.ts → entry/ → legacy/, modern/ → observe/ → limits/ → protocol/, http/, bus/ → jsonrpc/
 *
 * where entry/ reaches the eras only through era.ts (no import of an era);
 * protocol/ is one floor to the rooms above it, and inside it its rooms
 * run one way: dispatch/ → registries/ → definitions/ → context/ → schema/
 * → the vocabulary at protocol/'s top;
 * with `storage/`'s seams (sessions/, event_log/) below both eras, `redis/` and `postgres/`
 * beside the eras (they implement the seams and the bus, importing no era's room), `auth/`
 * between the entry and the rooms below (authentication, OAuth scopes and challenges),
 * `observe/` (events, `stats()`, telemetry and the audit record) below every room that
 * reports and above what `stats()` reads (era.ts's face, the concurrency cap), `limits/`
 * (rate limits, the concurrency cap, per-principal shares) above the transport mechanics it
 * refuses with, `adapters/` beside the handler, and a few root modules every room may use
 * (`runtime.ts`, `storage_unavailable.ts`), and `config/` (the
 * options, their defaults, resolution and checks) between the handler and the
 * rooms it configures. Each room's allowed imports are listed in
 * {@linkcode ALLOWED}; a room not listed there is an error, so a new folder
 * must be placed in the plan before it lands.
 *
 *   node_modules/node24/bin/node scripts/check_layers.ts [root]
 *
 * (`root`, the repository to check, defaults to this one; the tests give it
 * a made-up tree.)
 * Exits 1 and names each offending import, circle, module or folder. It reads
 * relative import specifiers (static, `export … from` and dynamic); it does
 * not type-check or resolve package imports.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url));
/** True when checking this repository (not a tree given on the command line). */
const CHECKING_THIS_REPOSITORY = process.argv[2] === undefined;

/** The rooms each room may import (besides itself). Root modules are rooms of their own. */
const ALLOWED: Record<string, readonly string[]> = {
  "jsonrpc": [],
  "runtime.ts": [],
  "hex.ts": [],
  "storage_unavailable.ts": [],
  // Storage faults told once per outage (the Redis backend's watch; the handler's onError filter).
  "storage_outages.ts": [],
  // The era-free MCP core. A room that may import "protocol" may import each of its rooms; inside
  // it they run one way, each listing those below it. Its top: the vocabulary every room speaks
  // (the MCP shapes, the eras and their versions, base64 and the Mcp-* header value, the call
  // path's values).
  "protocol": ["jsonrpc"],
  // Validation: Standard Schema and JSON Schema, a tool input's x-mcp-header declarations, the
  // shape of a client's answers. Nothing of MCP's methods.
  "protocol/schema": ["protocol", "jsonrpc"],
  // The per-request context: RequestContext (the eras build it), ctx and its elicitation, logging
  // levels, who calls (the principal).
  "protocol/context": ["protocol/schema", "protocol", "jsonrpc"],
  // What a server author writes: define*, completers, cache hints, icons, scopes, extensions, views.
  "protocol/definitions": ["protocol/context", "protocol/schema", "protocol", "jsonrpc"],
  // The tool, prompt and resource registries built from the definitions at startup.
  "protocol/registries": [
    "protocol/definitions",
    "protocol/context",
    "protocol/schema",
    "protocol",
    "jsonrpc",
  ],
  // The dispatcher: the method table and the methods beside it, method params, pagination, audit.
  // A method only the 2026-07-28 era serves goes here when it answers from the definitions (as
  // `Dispatcher.discover` does for `server/discover`), in modern/ when it needs the transport
  // (`subscriptions/listen`), or in an extension that names its eras.
  "protocol/dispatch": [
    "protocol/registries",
    "protocol/definitions",
    "protocol/context",
    "protocol/schema",
    "protocol",
    "jsonrpc",
  ],
  "http": ["jsonrpc", "runtime.ts", "storage_unavailable.ts"],
  "bus": ["jsonrpc", "runtime.ts"],
  // Rate limits (`rateLimit`, its token bucket; `rateLimits`, its store), the concurrency cap
  // and the per-principal shares of a pool: asked by the door, the eras and their storage.
  "limits": ["protocol", "http", "jsonrpc", "hex.ts"],
  // What a handler tells about itself: events (onEvent), stats() (a sum over the eras' faces and
  // the concurrency cap), telemetry/ (OpenTelemetry spans, metrics), audit/ (the audit record).
  "observe": ["era.ts", "limits", "protocol", "http", "jsonrpc", "hex.ts"],
  // The one face both eras implement (types only): below the eras, above what they share.
  "era.ts": ["bus", "http", "jsonrpc", "protocol"],
  // The storage seams below both eras, and what every engine shares: sessions/ (the session
  // store and its memory implementation), event_log/ (the event log, its memory implementation,
  // the writer heartbeat, recorded request ids). No engine imports an era's room.
  "storage/sessions": ["jsonrpc", "protocol", "runtime.ts", "storage_unavailable.ts"],
  "storage/event_log": ["jsonrpc", "runtime.ts", "storage_unavailable.ts"],
  // dpop/: the DPoP replay seam (its memory implementation sits in auth/ beside the checks).
  "storage/dpop": [],
  // backend/: StorageBackend, every seam on one store (the `storage` option; what the engines return).
  "storage/backend": [
    "storage/sessions",
    "storage/event_log",
    "storage/dpop",
    "bus",
    "limits",
    "extensions/tasks",
  ],
  // The 2025 era's rooms, bottom to top: sessions/ (the session manager on the store),
  // streams/ (resumable SSE on the log), exchange/ (what answers one request), then stateless/
  // and, at legacy/'s top, the sessionful pipeline and era.ts, which builds the era either way
  // (with sessions or stateless/) for the handler; no room imports one above it.
  "legacy/sessions": [
    "storage/sessions",
    "jsonrpc",
    "protocol",
    "http",
    "limits",
    "runtime.ts",
    "storage_unavailable.ts",
  ],
  "legacy/streams": [
    "storage/event_log",
    "legacy/sessions",
    "storage/sessions",
    "hex.ts",
    "protocol",
    "http",
    "jsonrpc",
    "runtime.ts",
    "storage_unavailable.ts",
  ],
  "legacy/exchange": [
    "legacy/streams",
    "storage/event_log",
    "legacy/sessions",
    "storage/sessions",
    "observe",
    "protocol",
    "http",
    "bus",
    "jsonrpc",
    "runtime.ts",
    "storage_unavailable.ts",
  ],
  // The 2025 MCP-Protocol-Version check, at legacy/'s top by name, used by the pipeline and
  // stateless/ alike.
  "legacy/protocol_version.ts": ["legacy/exchange", "http", "protocol", "jsonrpc"],
  "legacy/stateless": [
    "era.ts",
    "legacy/protocol_version.ts",
    "legacy/exchange",
    "legacy/streams",
    "storage/event_log",
    "legacy/sessions",
    "storage/sessions",
    "observe",
    "protocol",
    "http",
    "bus",
    "jsonrpc",
    "runtime.ts",
    "storage_unavailable.ts",
  ],
  "legacy": [
    "era.ts",
    "hex.ts",
    "observe",
    "legacy/stateless",
    "legacy/protocol_version.ts",
    "legacy/exchange",
    "legacy/streams",
    "storage/event_log",
    "legacy/sessions",
    "storage/sessions",
    "protocol",
    "http",
    "bus",
    "jsonrpc",
    "runtime.ts",
    "storage_unavailable.ts",
  ],
  "modern": [
    "era.ts",
    "observe",
    "protocol",
    "http",
    "limits",
    "bus",
    "jsonrpc",
    "runtime.ts",
    "storage_unavailable.ts",
  ],
  // The door: it reaches an era only through era.ts's face (handler.ts builds the eras).
  "entry": [
    "era.ts",
    "hex.ts",
    "observe",
    "protocol",
    "http",
    "limits",
    "bus",
    "jsonrpc",
    "runtime.ts",
    "storage_unavailable.ts",
    "config",
    "auth",
  ],
  // Authentication and the OAuth resource-server duties: who calls, the RFC 9728 metadata, scope
  // checks, bearer challenges and their errors. Below the entry, beside the eras (neither imports it).
  "auth": [
    "http",
    "limits",
    "protocol",
    "jsonrpc",
    "config",
    "observe",
    "storage/dpop",
  ],
  // The extensions, each its own room and subpath, built on protocol/'s extension surface, below
  // the eras; none imports another. tasks/: io.modelcontextprotocol/tasks.
  "extensions/tasks": ["protocol", "jsonrpc", "runtime.ts", "hex.ts"],
  // skills/: io.modelcontextprotocol/skills (SEP-2640).
  "extensions/skills": ["protocol", "jsonrpc", "hex.ts"],
  // apps/: MCP Apps (io.modelcontextprotocol/ui); definitions only.
  "extensions/apps": ["protocol"],
  // extensions/mod.ts: @tether/mcp/extensions, the surface for writing one (re-exports only).
  "extensions": ["protocol"],
  "redis": [
    "hex.ts",
    "extensions/tasks",
    "http",
    "limits",
    "storage/event_log",
    "storage/sessions",
    "bus",
    "jsonrpc",
    "runtime.ts",
    "storage_unavailable.ts",
    "storage_outages.ts",
    "storage/dpop",
    "storage/backend",
  ],
  // postgres/: the same storage seams on Postgres, allowed what redis/ is.
  "postgres": [
    "hex.ts",
    "extensions/tasks",
    "http",
    "limits",
    "storage/event_log",
    "storage/sessions",
    "bus",
    "jsonrpc",
    "runtime.ts",
    "storage_unavailable.ts",
    "storage_outages.ts",
    "storage/dpop",
    "storage/backend",
  ],
  // The options (types naming the parts they configure), the defaults table, resolution, checks.
  "config": [
    "observe",
    "storage_outages.ts",
    "runtime.ts",
    "http",
    "limits",
    "protocol",
    "bus",
    "modern",
    "storage/event_log",
    "legacy/sessions",
    "storage/sessions",
    "storage/dpop",
    "storage/backend",
  ],
  "handler.ts": [
    "era.ts",
    "observe",
    "entry",
    "legacy",
    "legacy/stateless",
    "storage/event_log",
    "legacy/sessions",
    "storage/sessions",
    "modern",
    "protocol",
    "http",
    "limits",
    "bus",
    "jsonrpc",
    "runtime.ts",
    "storage_unavailable.ts",
    "config",
    "auth",
  ],
  // @tether/mcp/oauth: token verifiers on jose, beside the handler (mod.ts never imports it).
  "oauth": ["config", "auth"],
  // @tether/mcp/types: the wire vocabulary (re-exports only; nothing in src/ imports it).
  "types": ["protocol", "jsonrpc", "http", "limits", "modern", "runtime.ts"],
  // @tether/mcp/storage: the storage seams and their memory implementations (re-exports only).
  "storage": [
    "storage_unavailable.ts",
    "storage_outages.ts",
    "auth",
    "storage/event_log",
    "storage/sessions",
    "bus",
    "http",
    "limits",
    "extensions/tasks",
    "storage/dpop",
    "storage/backend",
  ],
  // The client side of MCP, once: the SSE reader, the 2026-07-28 envelope and answers, a 2025
  // session client and its Streamable HTTP transport. Below the gateway and the test kit; it
  // speaks only the protocol's vocabulary and JSON-RPC.
  "client": ["protocol", "jsonrpc"],
  // @tether/mcp/testing: an in-process client; speaks to a handler through its fetch shape only.
  "testing": ["client", "protocol", "jsonrpc"],
  // @tether/mcp/gateway: upstream MCP servers behind a handler, on the public surface (definitions, ctx).
  // (and the tasks extension's `runAsTask`: an upstream's task becomes one downstream).
  "gateway": ["client", "protocol", "jsonrpc", "runtime.ts", "extensions/tasks"],
  "adapters": ["handler.ts", "auth", "protocol", "http", "jsonrpc"],
};

/** Modules may not grow past this many lines (400): a larger one has more than one job. */
const MAX_LINES = 400;

/**
 * Modules over {@linkcode MAX_LINES} when this check was introduced, with
 * their size then: each may shrink but not grow, and leaves this list once
 * it is within the bound.
 */
const OVERSIZED: Record<string, number> = {};

/**
 * A folder of src/ may not hold more than this many modules at its top level (15): past that a
 * reader no longer guesses a module's place from the question, and the room splits by job into
 * sub-rooms (as http/ did into body/ and sse/).
 */
const MAX_MODULES_PER_FOLDER = 15;

/**
 * Folders (src-relative) over {@linkcode MAX_MODULES_PER_FOLDER} when this bound was introduced,
 * with their count then: each may shrink but not grow, and leaves this list once it is within
 * the bound (each is being split by job).
 */
const CROWDED: Record<string, number> = {};

/**
 * The room of a file under src/: its folder (each legacy/<room>, extensions/<name> and
 * protocol/<room> counts apart), or its own name at the root.
 */
function roomOf(file: string): string {
  const parts = file.split("/");
  if (parts.length === 1) return parts[0];
  if (parts[0] === "legacy" && parts.length > 2) return `legacy/${parts[1]}`;
  // A module at legacy/'s top that the plan lists by name is a room of its own (below the top).
  if (parts[0] === "legacy" && ALLOWED[file] !== undefined) return file;
  if (parts[0] === "storage" && parts.length > 2) return `storage/${parts[1]}`;
  if (parts[0] === "extensions" && parts.length > 2) return `extensions/${parts[1]}`;
  if (parts[0] === "protocol" && parts.length > 2) return `protocol/${parts[1]}`;
  return parts[0];
}

/**
 * Whether `room` may import `to`: listed among its allowed rooms, or a room of protocol/ when
 * `room` lies outside protocol/ and may import it (the core is one floor to the rooms above it).
 */
function mayImport(room: string, allowed: readonly string[], to: string): boolean {
  if (allowed.includes(to)) return true;
  const inProtocol = (name: string) => name === "protocol" || name.startsWith("protocol/");
  return inProtocol(to) && !inProtocol(room) && allowed.includes("protocol");
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;

/** The src-relative paths a module imports, resolved. */
function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    found.push(normalize(join(dirname(file), match[1])));
  }
  return found;
}

const source = join(ROOT, "src");
const files = readdirSync(source, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
  .map((entry) => relative(source, join(entry.parentPath, entry.name)))
  .sort();

const failures: string[] = [];
const graph = new Map<string, string[]>();
for (const file of files) {
  const text = readFileSync(join(source, file), "utf8");
  const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  const bound = OVERSIZED[file] ?? MAX_LINES;
  if (lines > bound) {
    failures.push(
      `src/${file}: ${lines} lines, over ${bound}${
        OVERSIZED[file] === undefined ? "" : " (its size when the check began)"
      }`,
    );
  }
  const room = roomOf(file);
  const allowed = ALLOWED[room];
  if (allowed === undefined) {
    failures.push(`src/${file}: room "${room}" is not in the plan (scripts/check_layers.ts)`);
  }
  const targets = importsOf(file, text);
  graph.set(file, targets);
  for (const target of targets) {
    if (target.startsWith("..")) {
      failures.push(`src/${file}: imports ${target} from outside src/`);
      continue;
    }
    const to = roomOf(target);
    if (to !== room && allowed !== undefined && !mayImport(room, allowed, to)) {
      failures.push(`src/${file}: ${room} may not import ${to} (src/${target})`);
    }
  }
}
for (const [file, bound] of Object.entries(CHECKING_THIS_REPOSITORY ? OVERSIZED : {})) {
  if (!files.includes(file)) failures.push(`OVERSIZED names src/${file}, which is gone`);
  else if (bound <= MAX_LINES) failures.push(`OVERSIZED: src/${file} is within the bound`);
}

/** The modules at each folder's top level, by folder (src-relative; "" is src/ itself). */
const modulesByFolder = new Map<string, number>();
for (const file of files) {
  const folder = dirname(file) === "." ? "" : dirname(file);
  modulesByFolder.set(folder, (modulesByFolder.get(folder) ?? 0) + 1);
}
for (const [folder, count] of modulesByFolder) {
  const bound = CROWDED[folder] ?? MAX_MODULES_PER_FOLDER;
  if (count > bound) {
    failures.push(
      `src/${folder === "" ? "" : `${folder}/`}: ${count} modules at its top level, over ${bound}${
        CROWDED[folder] === undefined ? " (split it by job)" : " (its count when the bound began)"
      }`,
    );
  }
}
for (const folder of Object.keys(CHECKING_THIS_REPOSITORY ? CROWDED : {})) {
  const count = modulesByFolder.get(folder);
  if (count === undefined) failures.push(`CROWDED names src/${folder}/, which holds no module`);
  else if (count <= MAX_MODULES_PER_FOLDER) {
    failures.push(`CROWDED: src/${folder}/ holds ${count} modules, within the bound`);
  }
}

/** Import circles, as strongly connected components of more than one module (Tarjan). */
function circles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (target === node || !graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}
for (const circle of circles()) {
  failures.push(`import circle: ${circle.map((file) => `src/${file}`).join(" ↔ ")}`);
}

// The bench's modules (the product benchmark and bench/lab/ alike) are held to the same bound.
// A tree without a bench/ (the tests' made-up trees) has none to check.
const bench = join(ROOT, "bench");
const benchFiles =
  (existsSync(bench) ? readdirSync(bench, { recursive: true, withFileTypes: true }) : [])
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
for (const file of benchFiles) {
  const text = readFileSync(join(ROOT, file), "utf8");
  const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  if (lines > MAX_LINES) failures.push(`${file}: ${lines} lines, over ${MAX_LINES}`);
}

if (failures.length > 0) {
  console.error(`check_layers: ${failures.length} problem(s)\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log(
  `check_layers: ${files.length} modules of src/ import along the plan, no circles, ` +
    `none of them or of bench/'s ${benchFiles.length} over ${MAX_LINES} lines${
      Object.keys(OVERSIZED).length > 0
        ? ` (${Object.keys(OVERSIZED).length} older ones held at their size)`
        : ""
    }, no folder over ${MAX_MODULES_PER_FOLDER} modules${
      Object.keys(CROWDED).length > 0
        ? ` (${Object.keys(CROWDED).length} older ones held at their count)`
        : ""
    }`,
);
