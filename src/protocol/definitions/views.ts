/**
 * Per-caller views of a handler's entries (the `view` option): what one
 * principal sees of the tools, prompts, resources and templates, under
 * which names, and the refusal of an entry it may not use. This module
 * holds the types, the name index of a view and the refusals; the methods
 * that consult a view are src/protocol/dispatch/viewed_methods.ts. It
 * decides nothing itself.
 * @module
 */

import { echoInput } from "../../jsonrpc/echo.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { Principal } from "../context/principal.ts";

/**
 * The kinds of entry a view decides on.
 *
 * @example
 * ```ts
 * import type { EntryKind } from "@tether/mcp/types";
 * const kind: EntryKind = "tool";
 * ```
 */
export type EntryKind = "tool" | "prompt" | "resource" | "resourceTemplate";

/**
 * What a caller may do with one entry: `allow` (listed, usable), `hide`
 * (it does not exist for the caller: never listed, and using it is answered
 * exactly as for a name never defined) or `deny` (never listed; using it is
 * refused with -32602 and `data.reason: "denied"`).
 *
 * @example
 * ```ts
 * import type { Verdict } from "@tether/mcp/types";
 * const verdict: Verdict = "hide";
 * ```
 */
export type Verdict = "allow" | "hide" | "deny";

/**
 * How one caller sees an entry it may use: its listed name, title,
 * description and annotations, in place of the defined ones. A tool or
 * prompt renamed is called by the new name only.
 *
 * @example
 * ```ts
 * import type { EntryOverride } from "@tether/mcp/types";
 * const read: EntryOverride = { name: "read", description: "Reads one file of the project." };
 * ```
 */
export interface EntryOverride {
  /** The listed name (tools and prompts: also the name they are called by). */
  name?: string;
  /** The listed title. */
  title?: string;
  /** The listed description. */
  description?: string;
  /** The listed annotations (tools and resources), replacing the defined ones. */
  annotations?: Record<string, unknown>;
}

/**
 * One caller's view of a handler's entries. `verdict` is asked on every
 * list, call, get, read, completion and subscription. The handler indexes
 * the names `override` gives once per function and registry change, so one
 * `override` function must answer the same for the same definition as long
 * as it is in use (give a new function when the overrides change; share
 * one among the views of callers whose overrides are the same).
 *
 * @example
 * ```ts
 * import type { EntryView } from "@tether/mcp/types";
 * const readOnly: EntryView = {
 *   verdict: (kind, definition) =>
 *     kind === "tool" && (definition as { name: string }).name.startsWith("delete") ? "deny" : "allow",
 * };
 * ```
 */
export interface EntryView {
  /** What the caller may do with `definition` (one of the handler's definition objects). */
  verdict(kind: EntryKind, definition: object): Verdict;
  /** How the caller sees `definition`; undefined: as defined. */
  override?(kind: EntryKind, definition: object): EntryOverride | undefined;
}

/**
 * The `view` option of `createMcpHandler`: the view of one request's
 * principal (anonymous callers included); undefined serves every entry as
 * defined. Called once for each request that lists or uses an entry.
 *
 * @example
 * ```ts
 * import type { ViewOf } from "@tether/mcp/types";
 * const view: ViewOf = (principal) =>
 *   principal.id === "admin" ? undefined : { verdict: (kind) => kind === "tool" ? "hide" : "allow" };
 * ```
 */
export type ViewOf = (principal: Principal) => EntryView | undefined;

/**
 * How one caller sees the resources and templates (a view,
 * src/protocol/dispatch/viewed_methods.ts): the verdict on a definition.
 * Without one, every entry is allowed.
 */
export type ResourceVerdict = (
  kind: "resource" | "resourceTemplate",
  definition: object,
) => Verdict;

/** How one caller lists a definition: its listing as shown, or undefined when not listed. */
export type ResourceLens = (
  kind: "resource" | "resourceTemplate",
  definition: object,
  listing: Record<string, unknown>,
) => Record<string, unknown> | undefined;

/** The refusal of an entry a view denies (-32602, `data.reason: "denied"`). */
export function deniedError(what: string, name: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `${what} not permitted: ${echoInput(name)}`, {
    reason: "denied",
  });
}

/** A view's names of one registry's entries: the caller's name of each key, and back. */
export interface NameIndex {
  /** The registry key a caller's name stands for; undefined: no entry of that name for the caller. */
  keyOf(name: string): string | undefined;
  /** The caller's name of registry key `key`; undefined: shadowed by another entry's name. */
  nameOf(key: string): string | undefined;
}

/** Names by override function, then by registry listing (a registry change makes a new array). */
const indexes = new WeakMap<object, WeakMap<object, NameIndex>>();

/** The names of a view that renames nothing. */
const AS_DEFINED: NameIndex = { keyOf: (name) => name, nameOf: (key) => key };

/**
 * The name index of `view` over a registry's `listing` (its entries in
 * definition order; a registry change makes a new array, so the index is
 * kept per `view.override` and array). Renamed entries take their names first, then the others
 * keep theirs; an entry whose name another took first does not exist for
 * the caller.
 */
export function nameIndex(
  view: EntryView,
  kind: "tool" | "prompt",
  listing: readonly Record<string, unknown>[],
  definitionOf: (key: string) => object | undefined,
): NameIndex {
  const override = view.override;
  if (override === undefined) return AS_DEFINED;
  let byListing = indexes.get(override);
  const known = byListing?.get(listing);
  if (known !== undefined) return known;
  const keys = listing.map((entry) => entry.name as string);
  const byName = new Map<string, string>();
  const names = new Map<string, string>();
  const renamed = new Map<string, string>();
  for (const key of keys) {
    const definition = definitionOf(key);
    const name = definition === undefined ? undefined : override(kind, definition)?.name;
    if (typeof name === "string" && name !== "" && name !== key) renamed.set(key, name);
  }
  for (const [key, name] of renamed) {
    if (byName.has(name)) continue;
    byName.set(name, key);
    names.set(key, name);
  }
  for (const key of keys) {
    if (renamed.has(key) || byName.has(key)) continue;
    byName.set(key, key);
    names.set(key, key);
  }
  const index: NameIndex = { keyOf: (name) => byName.get(name), nameOf: (key) => names.get(key) };
  if (byListing === undefined) indexes.set(override, byListing = new WeakMap());
  byListing.set(listing, index);
  return index;
}

/** `listing` as `override` shows it, named `name`. */
export function overridden(
  listing: Record<string, unknown>,
  override: EntryOverride | undefined,
  name?: string,
): Record<string, unknown> {
  if (override === undefined && (name === undefined || name === listing.name)) return listing;
  const shown = { ...listing };
  if (name !== undefined) shown.name = name;
  else if (override?.name !== undefined) shown.name = override.name;
  if (override?.title !== undefined) shown.title = override.title;
  if (override?.description !== undefined) shown.description = override.description;
  if (override?.annotations !== undefined) shown.annotations = override.annotations;
  return shown;
}
