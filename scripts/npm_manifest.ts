/**
 * The npm package's package.json, made from deno.json: its name, version, license and subpath
 * exports (each `./x.ts` becomes `{ types: "./x.d.ts", default: "./x.js" }`), and its npm
 * imports sorted into dependencies (what tether itself runs on) and optional peers (what the user
 * brings). Pure: reads nothing and writes nothing; scripts/pack_npm.ts and
 * scripts/check_versions.ts call it. An npm import it has no rule for is an error, never a guess.
 */

/** The parts of deno.json the npm package is made from. */
export interface DenoConfig {
  name: string;
  version: string;
  license?: string;
  exports: Record<string, string>;
  imports?: Record<string, string>;
}

/**
 * How each npm import of deno.json reaches an npm user. `dependency`: tether's own code runs on it
 * (installed with tether). `peer`: the user brings it, tether never imports it at runtime or only
 * from a subpath that needs it (an optional peer, so installs do not pull it in).
 */
export const NPM_IMPORT_ROLES: Readonly<Record<string, "dependency" | "peer">> = {
  "@cfworker/json-schema": "dependency", // the core validates raw JSON Schema inputs with it
  "@opentelemetry/api": "dependency", // the core's telemetry (a no-op until an SDK is registered)
  "jose": "dependency", // @tether/mcp/oauth's JWT verifier
  "@hono/node-server": "dependency", // @tether/mcp/node's server
  "zod": "peer", // the user's schemas (any Standard Schema works)
  "hono": "peer", // the user's Hono app (@tether/mcp/hono takes it)
  "redis": "peer", // the user's Redis client (@tether/mcp/redis, node-redis)
  "postgres": "peer", // the Postgres client of @tether/mcp/postgres (postgres.js)
};

/** The package.json of the npm package, as a plain object. */
export interface NpmManifest {
  name: string;
  version: string;
  description: string;
  license: string;
  type: "module";
  types: string;
  exports: Record<string, string | { types: string; default: string }>;
  engines: { node: string };
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: true }>;
  keywords: string[];
}

/** `./src/x.ts` → `./src/x` (the compiled files sit next to each other with .js and .d.ts). */
function withoutTs(path: string): string {
  if (!path.startsWith("./") || !path.endsWith(".ts")) {
    throw new Error(`deno.json export ${JSON.stringify(path)} is not a relative .ts file`);
  }
  return path.slice(0, -".ts".length);
}

/** `npm:zod@^4.1.0` → `["zod", "^4.1.0"]`; `npm:@scope/name@1` → `["@scope/name", "1"]`. */
export function parseNpmSpecifier(specifier: string): [string, string] {
  const match = /^npm:(@?[^@]+)@(.+)$/.exec(specifier);
  if (match === null) throw new Error(`not a versioned npm: specifier: ${specifier}`);
  return [match[1], match[2]];
}

/**
 * The npm package.json for `deno`: the same name, version and subpaths as the JSR package.
 *
 * @example
 * ```ts
 * import { npmManifest } from "./npm_manifest.ts";
 * const deno = { name: "@tether/mcp", version: "0.1.0", exports: { ".": "./mod.ts" } };
 * const manifest = npmManifest(deno);
 * // manifest.exports["."] is { types: "./mod.d.ts", default: "./mod.js" }
 * ```
 */
export function npmManifest(deno: DenoConfig): NpmManifest {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(deno.version)) {
    throw new Error(`deno.json version ${JSON.stringify(deno.version)} is not semver`);
  }
  const exports: NpmManifest["exports"] = {};
  for (const [subpath, file] of Object.entries(deno.exports)) {
    const base = withoutTs(file);
    exports[subpath] = { types: `${base}.d.ts`, default: `${base}.js` };
  }
  exports["./package.json"] = "./package.json";
  const dependencies: Record<string, string> = {};
  const peerDependencies: Record<string, string> = {};
  const peerDependenciesMeta: Record<string, { optional: true }> = {};
  for (const specifier of Object.values(deno.imports ?? {})) {
    if (!specifier.startsWith("npm:")) continue;
    const [name, range] = parseNpmSpecifier(specifier);
    const role = NPM_IMPORT_ROLES[name];
    if (role === undefined) {
      throw new Error(
        `deno.json imports ${name}, which scripts/npm_manifest.ts does not place: ` +
          `add it to NPM_IMPORT_ROLES as a dependency or a peer`,
      );
    }
    if (role === "dependency") {
      dependencies[name] = range;
    } else {
      peerDependencies[name] = range;
      peerDependenciesMeta[name] = { optional: true };
    }
  }
  const root = deno.exports["."];
  return {
    name: deno.name,
    version: deno.version,
    description: "The Model Context Protocol over Streamable HTTP from one web-standard function " +
      "(Deno, Bun, Node, Cloudflare Workers).",
    license: deno.license ?? "MIT",
    type: "module",
    types: root === undefined ? "./mod.d.ts" : `${withoutTs(root)}.d.ts`,
    exports,
    engines: { node: ">=22" },
    dependencies: sorted(dependencies),
    peerDependencies: sorted(peerDependencies),
    peerDependenciesMeta: sorted(peerDependenciesMeta),
    keywords: ["mcp", "model-context-protocol", "streamable-http", "server"],
  };
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
