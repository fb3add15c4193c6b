/**
 * What a handler keeps for the life of one session (`ctx.session`): JSON
 * values by key and per-process resources, isolated between sessions. The
 * interface only: the sessionful transport implements it over its session
 * store (src/legacy/sessions/store_session_state.ts); stateless requests
 * have none.
 * @module
 */

/**
 * Session-scoped state, stored in the session store. It survives across
 * requests of one session and is isolated between sessions, even two of the
 * same principal. Values must be JSON-serialisable; reads return copies.
 *
 * @example
 * ```ts
 * import { defineTool } from "@tether/mcp";
 * export const increment = defineTool({
 *   name: "increment",
 *   description: "Counts calls in this session",
 *   handler: async (_input, ctx) => String(await ctx.session!.update<number>("count", (n) => (n ?? 0) + 1)),
 * });
 * ```
 */
export interface SessionState {
  /** The session id (for logs and correlation; not a secret to hand to others). */
  readonly id: string;
  /** Reads a value; undefined when absent. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Writes a value (`undefined` deletes). Rejects when the session's state would exceed its size limit. */
  set(key: string, value: unknown): Promise<void>;
  /** Deletes a value. */
  delete(key: string): Promise<void>;
  /** Atomically replaces a value with `fn(current)` and returns the new value. */
  update<T>(key: string, fn: (current: T | undefined) => T): Promise<T>;
  /**
   * A non-JSON resource for the life of the session in this process (an
   * upstream client, a browser, a transaction): one per (session, key),
   * opened by `open` on first use; concurrent first uses share one creation,
   * and a failed one is not kept (the next use opens again). It is disposed
   * when the session ends by any path (`DELETE`, idle or absolute expiry,
   * `handler.close()`): with `options.dispose` when given, else its
   * `Symbol.asyncDispose`, `Symbol.dispose` or `close()`. A disposal that
   * fails or hangs is reported to `onError` and never holds up the teardown.
   * Per process: under a shared session store, another instance serving the
   * same session opens its own. Rejects when the session has ended.
   *
   * @example
   * ```ts
   * import { defineTool } from "@tether/mcp";
   * export const query = defineTool({
   *   name: "query",
   *   handler: async (_input, ctx) => {
   *     const connection = await ctx.session!.resource("db", () => ({ rows: 0, close() {} }));
   *     return String(connection.rows);
   *   },
   * });
   * ```
   */
  resource<T>(
    key: string,
    open: () => T | Promise<T>,
    options?: { dispose?: (resource: T) => unknown },
  ): Promise<T>;
}
