/**
 * The `resources/*` methods of a server's method table, over its resource
 * registry: the two lists (paged), `resources/read` (traced when a tracer is
 * set), and `resources/subscribe` and `resources/unsubscribe` (recorded for
 * the session, then told to the resource's hook). Each refuses a URI past
 * the size limit before any lookup. The dispatcher installs them when the
 * server has resources or templates; the viewed forms are viewed_methods.ts.
 * @module
 */

import { createHandlerContext } from "../context/handler_context.ts";
import { requireUri } from "./method_params.ts";
import { pageResult } from "./pagination.ts";
import type { ResourceRegistry } from "../registries/resources.ts";
import type { MethodHandler } from "./viewed_methods.ts";

/** The limits the resource methods read when they answer. */
export interface ResourceMethodLimits {
  /** Items per page of the lists. */
  readonly pageSize: number;
  /** Longest URI accepted by read, subscribe and unsubscribe, UTF-8 bytes. */
  readonly maxUriBytes: number;
}

/**
 * The resource methods over `resources`, in the order the method table lists them.
 *
 * @example
 * ```ts
 * import { ResourceRegistry } from "../registries/resources.ts";
 * import { resourceMethods } from "./resource_methods.ts";
 * const methods = new Map(
 *   resourceMethods(new ResourceRegistry([]), { pageSize: 100, maxUriBytes: 8192 }),
 * );
 * ```
 */
export function resourceMethods(
  resources: ResourceRegistry,
  limits: ResourceMethodLimits,
): [string, MethodHandler][] {
  const methods: [string, MethodHandler][] = [
    ["resources/list", async (params, ctx, request) => {
      return pageResult(
        limits.pageSize,
        "resources",
        "resources",
        await resources.list(createHandlerContext(ctx, request)),
        params,
      );
    }],
    ["resources/templates/list", (params) => {
      return pageResult(
        limits.pageSize,
        "templates",
        "resourceTemplates",
        resources.listTemplates(),
        params,
      );
    }],
    ["resources/read", async (params, ctx, request) => {
      const uri = requireUri(params, "uri", "resources/read", limits.maxUriBytes);
      const trace = ctx.trace;
      const contents = trace === undefined
        ? await resources.read(uri, createHandlerContext(ctx, request))
        : await trace.run(
          "resource",
          uri,
          (context) => resources.read(uri, createHandlerContext(ctx, request, context)),
        );
      return { contents };
    }],
  ];
  // Recorded for the session, then told to the resource's hook
  // (src/protocol/registries/resources.ts).
  for (const method of ["subscribe", "unsubscribe"] as const) {
    methods.push([`resources/${method}`, async (params, ctx, request) => {
      const uri = requireUri(params, "uri", `resources/${method}`, limits.maxUriBytes);
      await resources[method](uri, ctx, () => createHandlerContext(ctx, request));
      return {};
    }]);
  }
  return methods;
}
