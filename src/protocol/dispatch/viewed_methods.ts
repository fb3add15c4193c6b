/**
 * The list and use methods of a handler served with a `view`
 * (src/protocol/definitions/views.ts): each asks the request's view, lists
 * only what it allows (as it shows it), and resolves the caller's names
 * before the registries see them.
 * A hidden entry is answered as a name never defined; a denied one with
 * -32602 (`data.reason: "denied"`). Installed only when a view is given,
 * so a handler without one pays nothing. It validates nothing else (the
 * registries and the methods it wraps do).
 * @module
 */

import { echoInput } from "../../jsonrpc/echo.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { Principal, RequestContext } from "../context/request_context.ts";
import { createHandlerContext } from "../context/handler_context.ts";
import { requireUri } from "./method_params.ts";
import { pageResult } from "./pagination.ts";
import type { PromptRegistry } from "../registries/prompts.ts";
import type { ResourceRegistry } from "../registries/resources.ts";
import { missingScopes } from "../definitions/scopes.ts";
import type { ToolRegistry } from "../registries/tools.ts";
import {
  deniedError,
  type EntryView,
  nameIndex,
  overridden,
  type ResourceLens,
  type ResourceVerdict,
  type ViewOf,
} from "../definitions/views.ts";
import type { JsonRpcRequest } from "../../jsonrpc/messages.ts";
import type { ToolRunEnd } from "../run_end.ts";

/** One method of the dispatcher's table. */
export type MethodHandler = (
  params: Record<string, unknown>,
  ctx: RequestContext,
  request: JsonRpcRequest,
  then?: ToolRunEnd<unknown>, // tools/call's own continuation (src/protocol/run_end.ts)
) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** What the viewed methods read. */
export interface ViewedParts {
  tools: ToolRegistry;
  prompts: PromptRegistry;
  resources: ResourceRegistry;
  view: ViewOf;
  pageSize: number;
  maxUriBytes: number;
}

type Named = { list(): readonly Record<string, unknown>[]; definition(name: string): unknown };

/** The registry key a caller's tool or prompt name stands for; throws unknown or denied. */
function resolve(
  view: EntryView,
  kind: "tool" | "prompt",
  registry: Named,
  name: string,
  ctx: RequestContext,
): string {
  const unknown = () =>
    new McpError(
      ErrorCode.InvalidParams,
      `Unknown ${kind}: ${echoInput(name)}`,
    );
  const definitionOf = (key: string) => registry.definition(key) as object | undefined;
  const key = nameIndex(view, kind, registry.list(), definitionOf).keyOf(name);
  const definition = key === undefined ? undefined : definitionOf(key);
  if (key === undefined || definition === undefined) throw unknown();
  const verdict = view.verdict(kind, definition);
  if (verdict === "hide") throw unknown();
  const what = kind === "tool" ? "Tool" : "Prompt";
  if (verdict === "deny") throw deniedError(what, name);
  // The door checked the scopes of the name it saw; a renamed entry's are checked here.
  const scopes = (definition as { scopes?: readonly string[] }).scopes;
  if (key !== name && scopes !== undefined && missingScopes(scopes, ctx.principal).length > 0) {
    throw deniedError(what, name);
  }
  return key;
}

/** Who sees which tool and resource, for the steps outside the methods. */
export interface ViewedLookups {
  /**
   * The tool `principal` calls by `name` (renamed or not); undefined when
   * the caller has no usable tool of that name (rate limits count by it).
   */
  toolKey(principal: Principal, name: string): string | undefined;
  /**
   * The registry key `principal`'s name for a tool or prompt stands for,
   * whatever the view's verdict on it (audit records name its upstream);
   * undefined when no entry goes by that name for the caller.
   */
  keyOf(principal: Principal, kind: "tool" | "prompt", name: string): string | undefined;
  /**
   * True when something serves `uri` that `principal`'s view hides or
   * denies (a 2026-07-28 listen is never told of its updates).
   */
  unseenResource(principal: Principal, uri: string): boolean;
}

/** The {@linkcode ViewedLookups} of `parts`. */
function lookups(parts: ViewedParts): ViewedLookups {
  const { tools, prompts, resources } = parts;
  return {
    keyOf(principal, kind, name) {
      const view = parts.view(principal);
      if (view === undefined) return name;
      const registry: Named = kind === "tool" ? tools : prompts;
      const definitionOf = (key: string) => registry.definition(key) as object | undefined;
      return nameIndex(view, kind, registry.list(), definitionOf).keyOf(name);
    },
    toolKey(principal, name) {
      const view = parts.view(principal);
      if (view === undefined) return name;
      const definitionOf = (key: string) => tools.definition(key);
      const key = nameIndex(view, "tool", tools.list(), definitionOf).keyOf(name);
      const definition = key === undefined ? undefined : definitionOf(key);
      return definition !== undefined && view.verdict("tool", definition) === "allow"
        ? key
        : undefined;
    },
    unseenResource(principal, uri) {
      const view = parts.view(principal);
      if (view === undefined || !resources.has(uri)) return false;
      try {
        return !resources.has(uri, resourceVerdict(view));
      } catch {
        return true; // denied
      }
    },
  };
}

/** `listing` (a registry's list) as the view shows it. */
function shown(
  view: EntryView,
  kind: "tool" | "prompt",
  registry: Named,
  listing: readonly Record<string, unknown>[],
): Record<string, unknown>[] {
  const definitionOf = (key: string) => registry.definition(key) as object | undefined;
  const index = nameIndex(view, kind, registry.list(), definitionOf);
  const seen: Record<string, unknown>[] = [];
  for (const entry of listing) {
    const key = entry.name as string;
    const name = index.nameOf(key);
    const definition = definitionOf(key);
    if (name === undefined || definition === undefined) continue;
    if (view.verdict(kind, definition) !== "allow") continue;
    seen.push(overridden(entry, view.override?.(kind, definition), name));
  }
  return seen;
}

/** The view's verdict on resources and templates. */
function resourceVerdict(view: EntryView): ResourceVerdict {
  return (kind, definition) => view.verdict(kind, definition);
}

/** The view's listing of resources and templates. */
function resourceLens(view: EntryView): ResourceLens {
  return (kind, definition, listing) =>
    view.verdict(kind, definition) === "allow"
      ? overridden(listing, view.override?.(kind, definition))
      : undefined;
}

/**
 * Replaces the list and use methods in `methods` with their viewed forms
 * (those the handler serves; a request whose principal has no view takes
 * the method as it was); returns the lookups for the other steps.
 */
export function viewMethods(
  methods: Map<string, MethodHandler>,
  parts: ViewedParts,
): ViewedLookups {
  const { tools, prompts, resources, pageSize, maxUriBytes } = parts;
  const around = (
    method: string,
    viewed: (
      view: EntryView,
      original: MethodHandler,
      ...args: Parameters<MethodHandler>
    ) => ReturnType<MethodHandler>,
  ) => {
    const original = methods.get(method);
    if (original === undefined) return;
    methods.set(method, (params, ctx, request, then) => {
      const view = parts.view(ctx.principal);
      if (view === undefined) return original(params, ctx, request, then);
      return viewed(view, original, params, ctx, request, then);
    });
  };
  const renamed = (params: Record<string, unknown>, key: string) =>
    params.name === key ? params : { ...params, name: key };

  around("tools/list", (view, _, params, ctx) =>
    pageResult(
      pageSize,
      "tools",
      "tools",
      shown(view, "tool", tools, tools.list(ctx.protocolVersion)),
      params,
    ));
  around("tools/call", (view, original, params, ctx, request, then) => {
    if (typeof params.name !== "string") return original(params, ctx, request, then);
    const key = resolve(view, "tool", tools, params.name, ctx);
    return original(renamed(params, key), ctx, request, then);
  });
  around(
    "prompts/list",
    (view, _, params) =>
      pageResult(
        pageSize,
        "prompts",
        "prompts",
        shown(view, "prompt", prompts, prompts.list()),
        params,
      ),
  );
  around("prompts/get", (view, original, params, ctx, request) => {
    if (typeof params.name !== "string") return original(params, ctx, request);
    return original(
      renamed(params, resolve(view, "prompt", prompts, params.name, ctx)),
      ctx,
      request,
    );
  });
  around("resources/list", async (view, _, params, ctx, request) =>
    pageResult(
      pageSize,
      "resources",
      "resources",
      await resources.list(createHandlerContext(ctx, request), resourceLens(view)),
      params,
    ));
  around("resources/templates/list", (view, _, params) =>
    pageResult(
      pageSize,
      "templates",
      "resourceTemplates",
      resources.listTemplates(resourceLens(view)),
      params,
    ));
  around("resources/read", async (view, _, params, ctx, request) => {
    const uri = requireUri(params, "uri", "resources/read", maxUriBytes);
    const verdict = resourceVerdict(view);
    const trace = ctx.trace;
    const contents = trace === undefined
      ? await resources.read(uri, createHandlerContext(ctx, request), verdict)
      : await trace.run(
        "resource",
        uri,
        (context) => resources.read(uri, createHandlerContext(ctx, request, context), verdict),
      );
    return { contents };
  });
  for (const method of ["subscribe", "unsubscribe"] as const) {
    around(`resources/${method}`, async (view, _, params, ctx, request) => {
      const uri = requireUri(params, "uri", `resources/${method}`, maxUriBytes);
      await resources[method](
        uri,
        ctx,
        () => createHandlerContext(ctx, request),
        resourceVerdict(view),
      );
      return {};
    });
  }
  around("completion/complete", (view, original, params, ctx, request) => {
    const ref = params.ref;
    if (!isPlainObject(ref)) return original(params, ctx, request);
    if (ref.type === "ref/prompt" && typeof ref.name === "string") {
      const key = resolve(view, "prompt", prompts, ref.name, ctx);
      const asked = key === ref.name ? params : { ...params, ref: { ...ref, name: key } };
      return original(asked, ctx, request);
    }
    if (ref.type === "ref/resource" && typeof ref.uri === "string") {
      const uri = requireUri(ref, "uri", "completion/complete ref", maxUriBytes);
      if (!resources.completer(uri, "", resourceVerdict(view)).known) {
        throw new McpError(ErrorCode.InvalidParams, "Unknown resource reference");
      }
    }
    return original(params, ctx, request);
  });
  return lookups(parts);
}
