/**
 * The core's part of the method table: which of MCP's method groups a
 * server serves (tools, resources, prompts, completions: read from what it
 * defines), the capabilities those groups advertise, and the handlers of
 * the methods every server has (`initialize`, `ping`, `logging/setLevel`)
 * and of each group it serves. It routes and catches nothing: the
 * dispatcher looks a method up and answers its throws, and adds the
 * extensions' methods and the view's forms to this table.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type {
  AnyPromptDefinition,
  ResourceTemplateDefinition,
} from "../definitions/definitions.ts";
import type { Extension } from "../definitions/extensions.ts";
import { isLoggingLevel } from "../context/logging.ts";
import type { PromptRegistry } from "../registries/prompts.ts";
import type { ResourceRegistry } from "../registries/resources.ts";
import type { ToolDefinitions, ToolRegistry } from "../registries/tools.ts";
import type { Implementation } from "../types.ts";
import { complete } from "./completion.ts";
import { initializeResult } from "./initialize.ts";
import { pageResult } from "./pagination.ts";
import { promptMethods } from "./prompt_methods.ts";
import { resourceMethods } from "./resource_methods.ts";
import { callThrough, callTool } from "./tool_calls.ts";
import type { MethodHandler } from "./viewed_methods.ts";

/**
 * Which of the core's method groups a server serves.
 *
 * @example
 * ```ts ignore (internal: the dispatcher reads it with servedGroups)
 * const toolsOnly: ServedGroups = { tools: true, resources: false, prompts: false, completions: false };
 * ```
 */
export interface ServedGroups {
  /** `tools/list` and `tools/call`: the server defines tools (even none). */
  readonly tools: boolean;
  /** The `resources/*` methods: it defines resources or templates. */
  readonly resources: boolean;
  /** `prompts/list` and `prompts/get`: it defines prompts. */
  readonly prompts: boolean;
  /** `completion/complete`: a prompt or a resource template has a completer. */
  readonly completions: boolean;
}

/**
 * The groups served by `definition`, whose resource templates (its own plus
 * its extensions') are `resourceTemplates`.
 *
 * @example
 * ```ts ignore (internal: the dispatcher's constructor calls it once)
 * const groups = servedGroups({ tools: [] }, undefined); // tools only
 * ```
 */
export function servedGroups(
  definition: Pick<ToolDefinitions, "tools"> & {
    readonly resources?: readonly unknown[];
    readonly prompts?: readonly AnyPromptDefinition[];
  },
  resourceTemplates: readonly ResourceTemplateDefinition[] | undefined,
): ServedGroups {
  return {
    tools: definition.tools !== undefined,
    resources: definition.resources !== undefined || resourceTemplates !== undefined,
    prompts: definition.prompts !== undefined,
    completions: (definition.prompts ?? []).some((p) => p.complete !== undefined) ||
      (resourceTemplates ?? []).some((t) => t.complete !== undefined),
  };
}

/**
 * The capabilities the core advertises for `groups`, before the extensions'
 * (initialize.ts's `capabilitiesIn` adds those per era).
 *
 * @example
 * ```ts ignore (internal: the dispatcher passes it to capabilitiesIn)
 * groupCapabilities({ tools: true, resources: false, prompts: false, completions: false });
 * // { logging: {}, tools: { listChanged: true } }
 * ```
 */
export function groupCapabilities(groups: ServedGroups): Record<string, unknown> {
  const capabilities: Record<string, unknown> = { logging: {} };
  if (groups.completions) capabilities.completions = {};
  if (groups.tools) capabilities.tools = { listChanged: true };
  if (groups.resources) capabilities.resources = { subscribe: true, listChanged: true };
  if (groups.prompts) capabilities.prompts = { listChanged: true };
  return capabilities;
}

/** What the core methods read from the server's definition, when they answer. */
export interface CoreMethodSettings {
  /** Server name and version, for `initialize`. */
  readonly info: Implementation;
  /** Guidance for the model, for `initialize`. */
  readonly instructions?: string;
  /** Items per page of the list methods. */
  readonly pageSize: number;
  /** Longest resource URI accepted by the resource methods and completion refs, UTF-8 bytes. */
  readonly maxUriBytes: number;
}

/** What the core methods answer from: the registries, the settings and the advertised capabilities. */
export interface CoreMethodParts {
  /** The tool registry. */
  readonly tools: ToolRegistry;
  /** The resource registry. */
  readonly resources: ResourceRegistry;
  /** The prompt registry. */
  readonly prompts: PromptRegistry;
  /** The capabilities `initialize` answers with (the 2025 era's, extensions included). */
  readonly capabilities: Record<string, unknown>;
  /** The extensions that put a step around `tools/call`, in order; none: the plain call. */
  readonly toolCallSteps: readonly Extension[];
  /** The server's definition, read when a method answers. */
  readonly settings: CoreMethodSettings;
}

/**
 * The method table of the core methods for `groups`: the ones every server
 * has, then each served group's, in that order.
 *
 * @example
 * ```ts ignore (internal: the dispatcher's constructor builds its table with it)
 * const methods = coreMethods(groups, { tools, resources, prompts, capabilities, toolCallSteps: [], settings: definition });
 * ```
 */
export function coreMethods(
  groups: ServedGroups,
  parts: CoreMethodParts,
): Map<string, MethodHandler> {
  const { tools, resources, prompts, capabilities, toolCallSteps, settings } = parts;
  const methods = new Map<string, MethodHandler>();
  methods.set(
    "initialize",
    (params) => initializeResult(params, capabilities, settings.info, settings.instructions),
  );
  methods.set("ping", () => ({}));
  methods.set("logging/setLevel", async (params, ctx) => {
    if (!isLoggingLevel(params.level)) {
      throw new McpError(ErrorCode.InvalidParams, "Invalid logging level");
    }
    await ctx.setLogLevel(params.level);
    return {};
  });
  if (groups.tools) {
    methods.set(
      "tools/list",
      (params, ctx) =>
        pageResult(settings.pageSize, "tools", "tools", tools.list(ctx.protocolVersion), params),
    );
    // Not async: the call's own promise, with no layer around it. The result may be the tool's
    // own object, which nothing downstream changes (the modern encoding copies it); a
    // CallToolResult is a plain record, TypeScript only lacks its index signature.
    methods.set(
      "tools/call",
      toolCallSteps.length === 0
        ? (params, ctx, request, then) => callTool(tools, params, ctx, request, then)
        : (params, ctx, request) => callThrough(tools, toolCallSteps, params, ctx, request),
    );
  }
  if (groups.resources) {
    for (const [name, method] of resourceMethods(resources, settings)) methods.set(name, method);
  }
  if (groups.prompts) {
    for (const [name, method] of promptMethods(prompts, settings.pageSize)) {
      methods.set(name, method);
    }
  }
  if (groups.completions) {
    methods.set(
      "completion/complete",
      (params, ctx, request) =>
        complete(params, ctx, request, prompts, resources, settings.maxUriBytes),
    );
  }
  return methods;
}
