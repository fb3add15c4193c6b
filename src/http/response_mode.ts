/**
 * How a POST that carries requests is answered (the `streams.responseMode`
 * option): a type both eras' exchanges read, so it lives below them.
 * @module
 */

/**
 * How a POST that carries requests is answered: `auto` (JSON unless the
 * handler emits first or runs long, then SSE), or `json`/`sse` forced.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type ResponseMode } from "@tether/mcp";
 * const responseMode: ResponseMode = "sse"; // every answer on a resumable stream
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], streams: { responseMode } });
 * ```
 */
export type ResponseMode = "auto" | "json" | "sse";
