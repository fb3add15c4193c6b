/**
 * `@tether/mcp/extensions`: the surface for writing an MCP extension of your
 * own (the one tasks, skills and Apps are built on): an {@linkcode Extension}
 * declares its identifier and settings, adds JSON-RPC methods, wraps tool
 * calls (`aroundToolCall`) and may answer later ({@linkcode deferResult}).
 * Pass it in `createMcpHandler({ extensions: [...] })`; `negotiated()` tells a
 * handler whether the client declared it.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { type Extension, negotiated } from "@tether/mcp/extensions";
 *
 * const ID = "com.example/audit";
 * const audit: Extension = {
 *   id: ID,
 *   aroundToolCall: async (call) => {
 *     const declared = negotiated(call.ctx.clientCapabilities, ID);
 *     const result = await call.run();
 *     console.log("called", call.params.name, { declared });
 *     return result;
 *   },
 * };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", extensions: [audit] });
 * ```
 * @module
 */

export {
  type DeferredResult,
  deferResult,
  type Extension,
  type ExtensionHost,
  type ExtensionMethod,
  type ExtensionNotificationContext,
  isDeferredResult,
  missingExtension,
  negotiated,
  type ToolCall,
} from "../protocol/definitions/extensions.ts";
