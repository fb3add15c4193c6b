/**
 * Writes docs/options.md, the reference of every option of `createMcpHandler` and of the
 * gateway, Redis, Postgres and tasks subpaths, from the option types' doc comments
 * (`deno doc --json`) and each one's defaults table (src/config/defaults.ts, GATEWAY_DEFAULTS,
 * REDIS_DEFAULTS, POSTGRES_DEFAULTS, TASKS_DEFAULTS). With `--check` it writes nothing and fails when the committed page drifts, a
 * handler option has no `@default` tag, a tag disagrees with its table, a table names no option,
 * a plain default is written in a tag but not in its table, or the code of a table's room writes
 * a default inline (`options.x ?? 5`) instead of reading the table.
 *   node_modules/node24/bin/node scripts/options_reference.ts [--check]   (npm run docs:options)
 * It reads types, tags and source text only: what a value does at run time is the doc's word.
 */

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { DEFAULT_SHARES, DEFAULTS } from "../src/config/defaults.ts";
import { GATEWAY_DEFAULTS } from "../src/gateway/gateway_defaults.ts";
import { REDIS_DEFAULTS } from "../src/redis/redis_defaults.ts";
import { POSTGRES_DEFAULTS } from "../src/postgres/postgres_defaults.ts";
import { TASKS_DEFAULTS } from "../src/extensions/tasks/tasks_defaults.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PAGE = join(ROOT, "docs", "options.md");

/** Each documented type, the path of the option that holds it, and its file. */
const SECTIONS: readonly { type: string; path: string; file: string }[] = [
  { type: "McpHandlerOptions", path: "", file: "src/config/options.ts" },
  { type: "EraOptions", path: "eras", file: "src/protocol/eras.ts" },
  { type: "HttpOptions", path: "http", file: "src/config/group_options.ts" },
  { type: "SecurityOptions", path: "security", file: "src/config/group_options.ts" },
  { type: "CorsOptions", path: "security.cors", file: "src/http/cors.ts" },
  { type: "AuthOptions", path: "auth", file: "src/config/group_options.ts" },
  { type: "OAuthOptions", path: "auth.oauth", file: "src/config/oauth_options.ts" },
  { type: "DpopOptions", path: "auth.oauth.dpop", file: "src/config/oauth_options.ts" },
  { type: "LimitOptions", path: "limits", file: "src/config/group_options.ts" },
  {
    type: "RateLimitsOptions",
    path: "limits.rateLimits",
    file: "src/limits/rate_limits_options.ts",
  },
  {
    type: "ToolRateLimits",
    path: "limits.rateLimits.perTool",
    file: "src/limits/rate_limits_options.ts",
  },
  { type: "SessionOptions", path: "sessions", file: "src/config/session_options.ts" },
  { type: "StreamOptions", path: "streams", file: "src/config/delivery_options.ts" },
  { type: "StatelessOptions", path: "stateless", file: "src/config/delivery_options.ts" },
  {
    type: "RequestStateOptions",
    path: "stateless.requestState",
    file: "src/modern/rounds/request_state.ts",
  },
  { type: "ObserveOptions", path: "observe", file: "src/config/group_options.ts" },
  { type: "AuditOptions", path: "observe.audit", file: "src/config/group_options.ts" },
];

/** A subpath's one defaults table (keyed by option type, then field), its option types' files and its rooms. */
export interface SubpathTable {
  subpath: string;
  /** The table's exported name, for messages. */
  name: string;
  table: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Each option type the table keys, and the file declaring it. */
  types: Readonly<Record<string, string>>;
  /** The folders whose code must read the table rather than write a default inline. */
  rooms: readonly string[];
}

/** The subpaths whose defaults live in a table of their own. */
export const SUBPATH_TABLES: readonly SubpathTable[] = [
  {
    subpath: "@tether/mcp/gateway",
    name: "GATEWAY_DEFAULTS",
    table: GATEWAY_DEFAULTS,
    types: {
      GatewayOptions: "src/gateway/gateway_options.ts",
      HttpUpstreamOptions: "src/gateway/upstream.ts",
      StdioUpstreamOptions: "src/gateway/stdio/stdio_upstream.ts",
      TokenClient: "src/gateway/credentials/token_endpoint.ts",
      TokenCacheOptions: "src/gateway/credentials/token_cache.ts",
      TokenExchangeOptions: "src/gateway/credentials/token_exchange.ts",
      ClientCredentialsOptions: "src/gateway/credentials/client_credentials.ts",
      PinOptions: "src/gateway/catalog/pins.ts",
    },
    rooms: ["src/gateway"],
  },
  {
    subpath: "@tether/mcp/redis",
    name: "REDIS_DEFAULTS",
    table: REDIS_DEFAULTS,
    types: {
      RedisBackendOptions: "src/redis/redis_backend.ts",
      RedisBusOptions: "src/redis/bus/bus_options.ts",
      RedisSessionStoreOptions: "src/redis/sessions/redis_session_store.ts",
      RedisEventLogOptions: "src/redis/event_log/event_log_options.ts",
      RedisTaskStoreOptions: "src/redis/tasks/redis_task_store.ts",
      RedisRateLimitStoreOptions: "src/redis/limits/redis_rate_limit_store.ts",
      RedisDpopReplayStoreOptions: "src/redis/auth/redis_dpop_replay_store.ts",
    },
    rooms: ["src/redis"],
  },
  {
    subpath: "@tether/mcp/postgres",
    name: "POSTGRES_DEFAULTS",
    table: POSTGRES_DEFAULTS,
    types: {
      PostgresBackendOptions: "src/postgres/postgres_backend.ts",
      PostgresSessionStoreOptions: "src/postgres/sessions/postgres_session_store.ts",
      PostgresEventLogOptions: "src/postgres/event_log/event_log_options.ts",
      PostgresBusOptions: "src/postgres/bus/bus_options.ts",
      PostgresTaskStoreOptions: "src/postgres/tasks/postgres_task_store.ts",
      PostgresRateLimitStoreOptions: "src/postgres/limits/postgres_rate_limit_store.ts",
      PostgresDpopReplayStoreOptions: "src/postgres/auth/postgres_dpop_replay_store.ts",
    },
    rooms: ["src/postgres"],
  },
  {
    subpath: "@tether/mcp/tasks",
    name: "TASKS_DEFAULTS",
    table: TASKS_DEFAULTS,
    types: {
      TasksOptions: "src/extensions/tasks/tasks_extension.ts",
      MemoryTaskStoreOptions: "src/extensions/tasks/memory_task_store.ts",
    },
    rooms: ["src/extensions/tasks"],
  },
];

/** The subpaths' sections: each option type under its own name. */
const SUBPATH_SECTIONS = SUBPATH_TABLES.flatMap((table) =>
  Object.entries(table.types).map(([type, file]) => ({ type, path: type, file }))
);

/** One option field as documented. */
export interface OptionField {
  path: string;
  type: string;
  required: boolean;
  doc: string;
  /** The `@default` tag's text, or undefined without one. */
  tag: string | undefined;
}

interface DocType {
  kind: string;
  repr?: string;
  value?: unknown;
}

interface DocProperty {
  name: string;
  optional: boolean;
  jsDoc?: { doc?: string; tags?: { kind: string; value?: string }[] };
  tsType?: DocType;
}

/** A type as a reader would write it, from deno doc's tree (approximate for the unusual ones). */
function typeText(type: DocType | undefined): string {
  if (type === undefined) return "unknown";
  const value = type.value as Record<string, unknown> | DocType[] | string | undefined;
  switch (type.kind) {
    case "keyword":
      return String(value);
    case "literal":
      return type.repr === "" || type.repr === undefined ? "literal" : JSON.stringify(type.repr);
    case "union":
      return (value as DocType[]).map(typeText).join(" | ");
    case "array":
      return `${typeText(value as unknown as DocType)}[]`;
    case "typeOperator": {
      const operator = value as { operator: string; tsType: DocType };
      return `${operator.operator} ${typeText(operator.tsType)}`;
    }
    case "typeRef": {
      const ref = value as { typeName: string; typeParams?: DocType[] | null };
      const params = ref.typeParams?.length ? `<${ref.typeParams.map(typeText).join(", ")}>` : "";
      return `${ref.typeName}${params}`;
    }
    case "fnOrConstructor":
      return "function";
    default:
      return type.repr !== undefined && type.repr !== "" ? type.repr : type.kind;
  }
}

/** Every option field, in the order of {@linkcode SECTIONS} then the subpaths', read with `deno doc --json`. */
export function readOptionFields(): OptionField[] {
  const sections = [...SECTIONS, ...SUBPATH_SECTIONS];
  const files = [...new Set(sections.map((section) => section.file))];
  const result = spawnSync(
    process.env.DENO ?? join(ROOT, "node_modules", ".bin", "deno"),
    ["doc", "--json", ...files],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`deno doc failed: ${result.stderr}`);
  const modules = (JSON.parse(result.stdout) as {
    nodes: Record<
      string,
      { symbols: { name: string; declarations: { kind: string; def: unknown }[] }[] }
    >;
  }).nodes;
  const fields: OptionField[] = [];
  for (const section of sections) {
    const module = modules[new URL(section.file, `file://${ROOT}`).href];
    const symbol = module?.symbols.find((candidate) => candidate.name === section.type);
    const declaration = symbol?.declarations.find((candidate) => candidate.kind === "interface");
    if (declaration === undefined) {
      throw new Error(`${section.type} is not an interface in ${section.file}`);
    }
    for (const property of (declaration.def as { properties: DocProperty[] }).properties) {
      fields.push({
        path: section.path === "" ? property.name : `${section.path}.${property.name}`,
        type: typeText(property.tsType),
        required: !property.optional,
        doc: (property.jsDoc?.doc ?? "").trim(),
        tag: property.jsDoc?.tags?.find((tag) => tag.kind === "default")?.value?.trim(),
      });
    }
  }
  return fields;
}

/** The table that holds the defaults of the fields under `prefix`, and its name. */
function holderOf(prefix: string): { name: string; fields: Record<string, unknown> } | undefined {
  const core = (DEFAULTS as Record<string, Record<string, unknown>>)[prefix];
  if (core !== undefined) return { name: "DEFAULTS", fields: core };
  for (const { name, table } of SUBPATH_TABLES) {
    if (Object.hasOwn(table, prefix)) return { name, fields: table[prefix] };
  }
  return undefined;
}

/** The table's default of option `path`, or undefined when the table has none. */
export function tableDefault(path: string): unknown {
  const cut = path.lastIndexOf(".");
  if (cut === -1) return undefined;
  return holderOf(path.slice(0, cut))?.fields[path.slice(cut + 1)];
}

/** A tag that is a plain value (a number, a string, a boolean): such a default belongs in a table. */
const PLAIN_TAG = /^(?:-?[\d_]+(?:\.\d+)?|"[^"]*"|true|false)$/;

/** A default as a tag writes it: JSON, numbers with `_` between thousands. */
export function renderDefault(value: unknown): string {
  if (typeof value === "number") {
    return Number.isInteger(value) && Math.abs(value) >= 1000
      ? String(value).replace(/\B(?=(\d{3})+(?!\d))/g, "_")
      : String(value);
  }
  return JSON.stringify(value).replaceAll(",", ", ");
}

/** The same quantity for people: 4 MiB, 30 s, 5 min. */
function readable(path: string, value: unknown): string {
  if (typeof value !== "number" || value === 0) return "";
  if (/Bytes$/.test(path)) {
    if (value % (1024 * 1024) === 0) return ` (${value / (1024 * 1024)} MiB)`;
    if (value % 1024 === 0) return ` (${value / 1024} KiB)`;
  }
  if (/Ms$/.test(path) && value >= 1000) {
    if (value % 3_600_000 === 0) return ` (${value / 3_600_000} h)`;
    if (value % 60_000 === 0) return ` (${value / 60_000} min)`;
    if (value % 1000 === 0) return ` (${value / 1000} s)`;
  }
  return "";
}

/** What is wrong with the tags: a field without `@default`, or one that disagrees with the table. */
export function tagProblems(fields: readonly OptionField[]): string[] {
  const problems: string[] = [];
  for (const field of fields) {
    const value = tableDefault(field.path);
    if (field.tag === undefined) {
      // A group's own key is documented by its section; a subpath's field without a default says so in words.
      const subpath = SUBPATH_SECTIONS.some((section) => field.path.startsWith(`${section.path}.`));
      if (value !== undefined) problems.push(`${field.path}: no @default tag`);
      else if (!subpath && !SECTIONS.some((section) => section.path === field.path)) {
        problems.push(`${field.path}: no @default tag`);
      }
      continue;
    }
    if (value !== undefined && field.tag !== renderDefault(value)) {
      problems.push(
        `${field.path}: @default {${field.tag}} but the table says ${renderDefault(value)}`,
      );
    } else if (value === undefined && PLAIN_TAG.test(field.tag)) {
      const holder = holderOf(field.path.slice(0, field.path.lastIndexOf(".")))?.name ?? "a table";
      problems.push(
        `${field.path}: @default {${field.tag}} is written in the tag only; put it in ${holder}`,
      );
    }
  }
  const documented = new Set(fields.map((field) => field.path));
  const tables = [
    { name: "DEFAULTS", table: DEFAULTS as Record<string, Record<string, unknown>> },
    ...SUBPATH_TABLES,
  ];
  for (const { name, table } of tables) {
    for (const [prefix, holder] of Object.entries(table)) {
      for (const field of Object.keys(holder)) {
        if (!documented.has(`${prefix}.${field}`)) {
          problems.push(`${prefix}.${field}: in ${name}, no such option`);
        }
      }
    }
  }
  for (const path of Object.keys(DEFAULT_SHARES)) {
    if (!fields.some((field) => field.path === path)) {
      problems.push(`${path}: in DEFAULT_SHARES, no such option`);
    }
  }
  return problems;
}

/** docs/options.md from the fields. */
export function renderPage(fields: readonly OptionField[]): string {
  const lines = [
    "# Options of `createMcpHandler`",
    "",
    "<!-- Generated by `npm run docs:options` (scripts/options_reference.ts) from the option types'",
    "doc comments and the defaults tables; CI fails when this page drifts. Do not edit by hand. -->",
    "",
    "Identity and definitions sit at the top level; everything else is in a group:",
    "`createMcpHandler({ name, version, tools, http: { bodyTimeoutMs: 10_000 } })`. An option given at",
    "its 0.x top-level place is refused at startup with an error naming its group.",
  ];
  for (const section of SECTIONS) {
    const own = fields.filter((field) =>
      section.path === "" ? !field.path.includes(".") : field.path.startsWith(`${section.path}.`) &&
        !field.path.slice(section.path.length + 1).includes(".")
    );
    lines.push(
      "",
      section.path === ""
        ? "## Top level (`McpHandlerOptions`)"
        : `## \`${section.path}\` (\`${section.type}\`)`,
      "",
    );
    for (const field of own) {
      const value = tableDefault(field.path);
      const shown = field.required
        ? "required"
        : value !== undefined
        ? `default \`${renderDefault(value)}\`${readable(field.path, value)}`
        : field.tag === undefined
        ? `see \`${field.path}\` below`
        : `default: ${field.tag}`;
      lines.push(
        `- **\`${field.path}\`** (\`${field.type}\`; ${shown}): ${
          field.doc.replace(/\s*\n\s*/g, " ")
        }`,
      );
    }
  }
  lines.push(
    "",
    "# Options of the subpaths",
    "",
    "The gateway, Redis, Postgres and tasks subpaths each keep their defaults in one table of their",
    "own (`GATEWAY_DEFAULTS`, `REDIS_DEFAULTS`, `POSTGRES_DEFAULTS`, `TASKS_DEFAULTS`), checked here",
    "against the types' tags.",
  );
  for (const { subpath, types } of SUBPATH_TABLES) {
    for (const type of Object.keys(types)) {
      lines.push("", `## \`${type}\` (\`${subpath}\`)`, "");
      for (const field of fields.filter((field) => field.path.startsWith(`${type}.`))) {
        const name = field.path.slice(type.length + 1);
        const value = tableDefault(field.path);
        const shown = field.required
          ? "required"
          : value !== undefined
          ? `default \`${renderDefault(value)}\`${readable(name, value)}`
          : field.tag === undefined
          ? "optional"
          : `default: ${field.tag}`;
        lines.push(
          `- **\`${name}\`** (\`${field.type}\`; ${shown}): ${field.doc.replace(/\s*\n\s*/g, " ")}`,
        );
      }
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * A default written inline where an option is read (`options.maxFoo ?? 5`, `settings.x ?? "a"`,
 * `check("maxFoo", options.maxFoo, 5)`), by line, in `text`: such a default belongs in the table.
 */
export function inlineDefaults(text: string): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  const pattern =
    /\b\w*(?:[oO]ptions|[sS]ettings)\??\.\w+(?:\s*\?\?\s*(?:-?\d|"|'|true\b|false\b)|,\s*-?\d[\d_]*(?:\s*\*\s*[\d_]+)*\s*\))/g;
  for (const [index, line] of text.split("\n").entries()) {
    if (/^\s*(?:\*|\/\/)/.test(line)) continue; // a comment may show an example
    for (const match of line.matchAll(pattern)) found.push({ line: index + 1, code: match[0] });
  }
  return found;
}

/** The `.ts` files under `folder`, repository-relative. */
function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** Every default written inline in the rooms of a table (src/config/ besides defaults.ts, and each subpath's). */
export function inlineDefaultProblems(): string[] {
  const rooms = [
    { name: "DEFAULTS", rooms: ["src/config"] },
    ...SUBPATH_TABLES,
  ];
  const problems: string[] = [];
  for (const { name, rooms: folders } of rooms) {
    for (const file of folders.flatMap(sourceFiles)) {
      for (const { line, code } of inlineDefaults(readFileSync(join(ROOT, file), "utf8"))) {
        problems.push(
          `${
            relative(ROOT, join(ROOT, file))
          }:${line}: ${code} writes a default inline; read it from ${name}`,
        );
      }
    }
  }
  return problems;
}

/** `markdown` as `deno fmt` leaves it (the page is checked by deno fmt too, so it is written formatted). */
export function formatted(markdown: string): string {
  const result = spawnSync(
    process.env.DENO ?? join(ROOT, "node_modules", ".bin", "deno"),
    ["fmt", "--ext=md", "-"],
    { cwd: ROOT, encoding: "utf8", input: markdown, maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`deno fmt failed: ${result.stderr}`);
  return result.stdout;
}

/** Runs the script: writes the page (docs/options.md unless told), or with `--check` compares it; returns the exit code. */
export function main(args: readonly string[], pagePath: string = PAGE): number {
  const fields = readOptionFields();
  const problems = [...tagProblems(fields), ...inlineDefaultProblems()];
  for (const problem of problems) console.error(`options_reference: ${problem}`);
  const page = formatted(renderPage(fields));
  if (args.includes("--check")) {
    let committed = "";
    try {
      committed = readFileSync(pagePath, "utf8");
    } catch {
      // A missing page drifts like a stale one.
    }
    if (committed !== page) {
      console.error(
        "options_reference: docs/options.md is not what the types and defaults give; run npm run docs:options",
      );
      return 1;
    }
    return problems.length === 0 ? 0 : 1;
  }
  writeFileSync(pagePath, page);
  console.log(`options_reference: wrote docs/options.md (${fields.length} options)`);
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
