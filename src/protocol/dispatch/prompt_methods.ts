/**
 * The `prompts/list` and `prompts/get` methods of a server's method table,
 * over its prompt registry (traced when a tracer is set). The dispatcher
 * installs them when the server has prompts.
 * @module
 */

import { createHandlerContext } from "../context/handler_context.ts";
import { pageResult } from "./pagination.ts";
import type { PromptRegistry } from "../registries/prompts.ts";
import type { MethodHandler } from "./viewed_methods.ts";

/**
 * The prompt methods over `prompts`, lists paged by `pageSize`.
 *
 * @example
 * ```ts
 * import { PromptRegistry } from "../registries/prompts.ts";
 * import { promptMethods } from "./prompt_methods.ts";
 * const methods = new Map(promptMethods(new PromptRegistry([]), 100));
 * ```
 */
export function promptMethods(
  prompts: PromptRegistry,
  pageSize: number,
): [string, MethodHandler][] {
  return [
    [
      "prompts/list",
      (params) => pageResult(pageSize, "prompts", "prompts", prompts.list(), params),
    ],
    ["prompts/get", async (params, ctx, request) => {
      const trace = ctx.trace;
      if (trace === undefined) {
        return { ...await prompts.get(params, createHandlerContext(ctx, request)) };
      }
      return {
        ...await trace.run(
          "prompt",
          typeof params.name === "string" ? params.name : "",
          (context) => prompts.get(params, createHandlerContext(ctx, request, context)),
        ),
      };
    }],
  ];
}
