/**
 * Gateway views: which upstream entries each principal sees on one
 * endpoint, and how, from plain objects (include, exclude and deny per
 * upstream; overrides of name, title, description and annotations;
 * the same per principal) and a policy hook, as the handler's `view`
 * option (src/protocol/definitions/views.ts). The handler's own entries are served as
 * defined. It neither lists nor calls anything (the handler does).
 * @module
 */

import { isAnonymous, type Principal } from "../../protocol/context/principal.ts";
import type {
  EntryKind,
  EntryOverride,
  EntryView,
  Verdict,
  ViewOf,
} from "../../protocol/definitions/views.ts";
import { type EntryOrigin, originOf } from "./definition_origins.ts";

/**
 * An upstream entry as a view policy sees it.
 *
 * @example
 * ```ts
 * import type { ViewEntry } from "@tether/mcp/gateway";
 * const entry: ViewEntry = { kind: "tool", name: "delete", served: "files_delete" };
 * ```
 */
export interface ViewEntry {
  /** What it is. */
  kind: EntryKind;
  /** Its name as the upstream lists it. */
  name: string;
  /** Its name as the gateway serves it (namespaced), before any override. */
  served: string;
  /** A resource's URI; a template's URI template. */
  uri?: string;
}

/**
 * Decides what `principal` may do with one upstream entry: asked on every
 * list and use of an entry that the declarative rules allow. Anything but
 * `"allow"`, `"hide"` or `"deny"`, or a throw (reported to the gateway's
 * `onError`), hides the entry.
 *
 * @example
 * ```ts
 * import type { ViewPolicy } from "@tether/mcp/gateway";
 * const admins = new Set(["ada"]);
 * const policy: ViewPolicy = (principal, upstream, entry) =>
 *   upstream === "admin" && !admins.has(principal.id) ? "hide" : entry.name === "drop" ? "deny" : "allow";
 * ```
 */
export type ViewPolicy = (principal: Principal, upstream: string, entry: ViewEntry) => Verdict;

/**
 * Which of one upstream's entries a view serves. Patterns match a tool's
 * or prompt's name as the upstream lists it, a resource's name or URI, a
 * template's name or URI template; `*` matches any run of characters.
 *
 * @example
 * ```ts
 * import type { UpstreamFilter } from "@tether/mcp/gateway";
 * const readOnly: UpstreamFilter = { include: ["read*", "list*"], deny: ["read_secrets"] };
 * ```
 */
export interface UpstreamFilter {
  /** Only the entries that match are served; the others are hidden. @default {every entry} */
  include?: readonly string[];
  /** The entries that match are hidden. @default {none} */
  exclude?: readonly string[];
  /** The entries that match are denied (refused, not listed). @default {none} */
  deny?: readonly string[];
}

/**
 * Declarative rules of a view: filters per upstream, and overrides of how
 * entries are listed, keyed by the name the gateway serves a tool or
 * prompt by, and by a resource's URI or a template's URI template.
 *
 * @example
 * ```ts
 * import type { ViewRules } from "@tether/mcp/gateway";
 * const rules: ViewRules = {
 *   upstreams: { files: { exclude: ["delete"] } },
 *   tools: { files_read: { name: "read", description: "Reads one file of the project." } },
 * };
 * ```
 */
export interface ViewRules {
  /** Filters, by upstream name; an upstream not named is served whole. @default {none} */
  upstreams?: Readonly<Record<string, UpstreamFilter>>;
  /** Tool overrides, by served name. @default {none} */
  tools?: Readonly<Record<string, EntryOverride>>;
  /** Prompt overrides, by served name. @default {none} */
  prompts?: Readonly<Record<string, EntryOverride>>;
  /** Resource and template overrides, by URI or URI template. @default {none} */
  resources?: Readonly<Record<string, EntryOverride>>;
}

/**
 * One endpoint's view of the gateway's upstreams (`gateway.definitions({ view })`):
 * its rules for every caller, each authenticated principal's rules on top
 * (both filters apply; a principal's overrides win field by field), then
 * the policy.
 *
 * @example
 * ```ts
 * import type { GatewayView } from "@tether/mcp/gateway";
 * const view: GatewayView = {
 *   upstreams: { files: { deny: ["delete"] } },
 *   principals: { alice: { tools: { files_read: { name: "read" } } } },
 *   policy: (principal, upstream) => upstream === "billing" && principal.id !== "alice" ? "hide" : "allow",
 * };
 * ```
 */
export interface GatewayView extends ViewRules {
  /** Rules of authenticated principals, by id (anonymous callers get the endpoint's). @default {none} */
  principals?: Readonly<Record<string, ViewRules>>;
  /** Decides last, per principal and entry. @default {every entry the rules allow is allowed} */
  policy?: ViewPolicy;
}

/** A filter with its patterns compiled. */
interface CompiledFilter {
  include?: RegExp[];
  exclude: RegExp[];
  deny: RegExp[];
}

/** Rules compiled: filters by upstream, overrides by kind and key. */
interface CompiledRules {
  filters: Map<string, CompiledFilter>;
  overrides: Map<string, EntryOverride>;
}

const VERDICTS = new Set<unknown>(["allow", "hide", "deny"]);
const OVERRIDE_FIELDS = new Set(["name", "title", "description", "annotations"]);

/** `pattern` (`*` any run) as a whole-string expression. */
function compilePattern(pattern: unknown, where: string): RegExp {
  if (typeof pattern !== "string") throw new TypeError(`${where}: patterns must be strings`);
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, "s");
}

function compilePatterns(list: unknown, where: string): RegExp[] {
  if (!Array.isArray(list)) throw new TypeError(`${where} must be an array of patterns`);
  return list.map((pattern) => compilePattern(pattern, where));
}

function checkOverride(override: unknown, where: string): EntryOverride {
  if (typeof override !== "object" || override === null) {
    throw new TypeError(`${where} must be an object`);
  }
  for (const [field, value] of Object.entries(override)) {
    if (!OVERRIDE_FIELDS.has(field)) throw new TypeError(`${where}: unknown field "${field}"`);
    if (
      field === "annotations"
        ? typeof value !== "object" || value === null
        : typeof value !== "string"
    ) {
      throw new TypeError(`${where}.${field} has the wrong type`);
    }
  }
  if ((override as EntryOverride).name === "") throw new TypeError(`${where}.name is empty`);
  return override as EntryOverride;
}

/** Checks and compiles `rules` (a bad pattern or override throws, naming where). */
function compileRules(rules: ViewRules, where: string): CompiledRules {
  const filters = new Map<string, CompiledFilter>();
  for (const [upstream, filter] of Object.entries(rules.upstreams ?? {})) {
    const at = `${where}.upstreams.${upstream}`;
    filters.set(upstream, {
      include: filter.include === undefined
        ? undefined
        : compilePatterns(filter.include, `${at}.include`),
      exclude: compilePatterns(filter.exclude ?? [], `${at}.exclude`),
      deny: compilePatterns(filter.deny ?? [], `${at}.deny`),
    });
  }
  const overrides = new Map<string, EntryOverride>();
  for (const list of ["tools", "prompts", "resources"] as const) {
    for (const [key, override] of Object.entries(rules[list] ?? {})) {
      overrides.set(`${list} ${key}`, checkOverride(override, `${where}.${list}.${key}`));
    }
  }
  return { filters, overrides };
}

/** What `rules`' filters say of `origin`. */
function filtered(rules: CompiledRules, origin: EntryOrigin): Verdict {
  const filter = rules.filters.get(origin.upstream);
  if (filter === undefined) return "allow";
  const matches = (patterns: RegExp[]) =>
    patterns.some((pattern) =>
      pattern.test(origin.name) || (origin.uri !== undefined && pattern.test(origin.uri))
    );
  if (filter.include !== undefined && !matches(filter.include)) return "hide";
  if (matches(filter.exclude)) return "hide";
  return matches(filter.deny) ? "deny" : "allow";
}

/** The key overrides are listed by. */
function overrideKey(kind: EntryKind, definition: object, origin: EntryOrigin): string {
  if (kind === "tool") return `tools ${(definition as { name: string }).name}`;
  if (kind === "prompt") return `prompts ${(definition as { name: string }).name}`;
  return `resources ${origin.uri}`;
}

/** The overrides of `layers` (later ones win field by field), one function per layer set. */
function overridesOf(layers: readonly CompiledRules[]): NonNullable<EntryView["override"]> {
  return (kind, definition) => {
    const origin = originOf(definition);
    if (origin === undefined) return undefined;
    const key = overrideKey(kind, definition, origin);
    let merged: EntryOverride | undefined;
    for (const layer of layers) {
      const override = layer.overrides.get(key);
      if (override !== undefined) merged = { ...merged, ...override };
    }
    return merged;
  };
}

/**
 * The handler's `view` of `view`: checked now (a bad pattern or override
 * throws a `TypeError` naming where); a policy's failures go to `onError`.
 */
export function compileView(view: GatewayView, onError: (error: unknown) => void): ViewOf {
  const base = compileRules(view, "view");
  const principals = new Map<string, CompiledRules[]>();
  for (const [id, rules] of Object.entries(view.principals ?? {})) {
    principals.set(id, [base, compileRules(rules, `view.principals.${id}`)]);
  }
  const baseOverrides = base.overrides.size === 0 ? undefined : overridesOf([base]);
  // One override function per rules set: the handler indexes renames by it.
  const overrides = new Map<string, NonNullable<EntryView["override"]>>();
  for (const [id, layers] of principals) overrides.set(id, overridesOf(layers));
  const policy = view.policy;
  return (principal) => {
    const layers = isAnonymous(principal) ? undefined : principals.get(principal.id);
    const rules = layers ?? [base];
    return {
      verdict(kind, definition) {
        const origin = originOf(definition);
        if (origin === undefined) return "allow";
        let verdict: Verdict = "allow";
        for (const layer of rules) {
          const said = filtered(layer, origin);
          if (said === "hide") return "hide";
          if (said === "deny") verdict = "deny";
        }
        if (verdict !== "allow" || policy === undefined) return verdict;
        const entry: ViewEntry = {
          kind,
          name: origin.name,
          served: (definition as { name: string }).name,
        };
        if (origin.uri !== undefined) entry.uri = origin.uri;
        try {
          const decided = policy(principal, origin.upstream, entry);
          return VERDICTS.has(decided) ? decided : "hide";
        } catch (error) {
          onError(error);
          return "hide";
        }
      },
      ...(layers === undefined
        ? baseOverrides === undefined ? {} : { override: baseOverrides }
        : { override: overrides.get(principal.id) }),
    };
  };
}
