/**
 * The tracing seam of one request: the OpenTelemetry context shape tether
 * passes around ({@linkcode TraceContext}) and the hooks the transport gives
 * a request when telemetry is on ({@linkcode RequestTrace}). Interfaces
 * only: src/observe/telemetry/ implements the hooks, and nothing here
 * depends on `@opentelemetry/api`.
 * @module
 */

import type { RequestId } from "../../jsonrpc/messages.ts";

/**
 * An OpenTelemetry context: the shape of `Context` in `@opentelemetry/api`,
 * so a `ctx.traceContext` goes to `propagation.inject`, `context.with` or
 * `tracer.startSpan` as it is (tether itself declares no dependency here).
 *
 * @example
 * ```ts
 * import type { TraceContext } from "@tether/mcp/types";
 * const traced = (context: TraceContext | undefined): boolean => context !== undefined;
 * ```
 */
export interface TraceContext {
  /** The value stored under `key`, if any. */
  getValue(key: symbol): unknown;
  /** A new context with `value` under `key`. */
  setValue(key: symbol, value: unknown): TraceContext;
  /** A new context without `key`. */
  deleteValue(key: symbol): TraceContext;
}

/**
 * The tracing of one request, given by the transport when an OpenTelemetry
 * tracer or meter provider is registered (src/observe/telemetry/); absent otherwise,
 * so the dispatcher does nothing for it.
 *
 * @example
 * ```ts
 * import type { RequestTrace } from "@tether/mcp/types";
 * const run = (trace: RequestTrace) => trace.run("tool", "echo", () => Promise.resolve("done"));
 * ```
 */
export interface RequestTrace {
  /** The context of the request's SERVER span. */
  readonly context: TraceContext;
  /**
   * Runs a tool, prompt or resource handler in a child span of the request's
   * span, active while it runs; `run` receives that span's context (for `ctx.traceContext`).
   */
  run<T>(
    kind: "tool" | "prompt" | "resource",
    name: string,
    run: (context: TraceContext) => Promise<T>,
  ): Promise<T>;
  /**
   * Observes a server→client request (`ctx.elicit`, `ctx.sample`, `ctx.listRoots`)
   * made within `parent`; `send` calls `identify` with the JSON-RPC id it sends under.
   */
  outbound<T>(
    method: string,
    parent: TraceContext,
    send: (identify: (id: RequestId) => void) => Promise<T>,
  ): Promise<T>;
}
