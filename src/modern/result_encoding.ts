/**
 * What the 2026-07-28 wire adds to results and errors, in one place: every
 * result carries `resultType` and the server's identity in `_meta`; the
 * cacheable ones (`server/discover`, the four lists, `resources/read`) carry
 * `ttlMs` and `cacheScope`; a missing resource is `-32602` with `data.uri`
 * (the legacy `-32002` does not exist in this era). The legacy wire never
 * passes through here, so it stays byte-identical.
 * @module
 */

import { ErrorCode } from "../jsonrpc/error_codes.ts";
import type { JsonRpcErrorObject } from "../jsonrpc/messages.ts";
import { type CacheHint, DEFAULT_CACHE_HINT } from "../protocol/definitions/cache_hint.ts";
import type { Implementation } from "../protocol/types.ts";

export type { CacheHint };

/** Methods whose results carry cache hints in the 2026-07-28 era. */
export type CacheableMethod =
  | "server/discover"
  | "tools/list"
  | "prompts/list"
  | "resources/list"
  | "resources/templates/list"
  | "resources/read";

/** Cache hints per method; unset methods get {@linkcode DEFAULT_CACHE_HINT}. */
export type CacheHints = Partial<Record<CacheableMethod, CacheHint>>;

const CACHEABLE = new Set<string>([
  "server/discover",
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "resources/read",
]);

/** The `_meta` key naming the server on every modern result. */
export const SERVER_INFO_META_KEY = "io.modelcontextprotocol/serverInfo";

/** True for methods whose modern results carry `ttlMs` and `cacheScope`. */
export function isCacheable(method: string): boolean {
  return CACHEABLE.has(method);
}

/** The `_meta` of a result that sets none, made once per server identity (frozen: it is shared). */
let sharedMeta: { info: Implementation; meta: Readonly<Record<string, unknown>> } | undefined;

/** `{ [SERVER_INFO_META_KEY]: serverInfo }`, the same frozen object for every result of one server. */
function serverInfoMeta(serverInfo: Implementation): Readonly<Record<string, unknown>> {
  if (sharedMeta?.info !== serverInfo) {
    sharedMeta = { info: serverInfo, meta: Object.freeze({ [SERVER_INFO_META_KEY]: serverInfo }) };
  }
  return sharedMeta.meta;
}

/**
 * Stamps a complete result for the modern wire: `resultType: "complete"`,
 * the server's identity in `_meta` (a value the handler set wins), and, for
 * cacheable methods, the cache hint (a value the handler set wins).
 */
export function encodeCompleteResult(
  method: string,
  result: Record<string, unknown>,
  serverInfo: Implementation,
  hint: CacheHint | undefined,
): Record<string, unknown> {
  const meta = typeof result._meta === "object" && result._meta !== null
    ? result._meta as Record<string, unknown>
    : undefined;
  // "task" is the one other value a method's result may set (the tasks extension's CreateTaskResult).
  const resultType = result.resultType === "task" ? "task" : "complete";
  // One literal: a key the result has keeps its place, as assigning it would.
  const encoded: Record<string, unknown> = {
    ...result,
    resultType,
    _meta: meta === undefined
      ? serverInfoMeta(serverInfo)
      : Object.hasOwn(meta, SERVER_INFO_META_KEY)
      ? meta
      : { ...meta, [SERVER_INFO_META_KEY]: serverInfo },
  };
  if (isCacheable(method)) {
    const chosen = hint ?? DEFAULT_CACHE_HINT;
    if (!Object.hasOwn(result, "ttlMs")) encoded.ttlMs = chosen.ttlMs;
    if (!Object.hasOwn(result, "cacheScope")) encoded.cacheScope = chosen.cacheScope;
  }
  return encoded;
}

/**
 * Maps an error to its modern form: `-32002` (resource not found) becomes
 * `-32602` with `data.uri`; everything else passes unchanged.
 */
export function encodeError(error: JsonRpcErrorObject): JsonRpcErrorObject {
  if (error.code !== ErrorCode.ResourceNotFound) return error;
  const data = typeof error.data === "object" && error.data !== null ? error.data : {};
  return { code: ErrorCode.InvalidParams, message: error.message, data };
}
