/**
 * One more try for an upstream read that got no response at all: a POST of
 * one JSON-RPC request that only reads (a list, `prompts/get`,
 * `resources/read`, `server/discover`) whose fetch failed before any
 * response came, as it does when the upstream closed a keep-alive
 * connection just as the request went out on it, is sent once more. Such
 * a request changes nothing upstream, so a second copy is harmless even
 * when the first was read. Anything else (a tool call, a batch, a request
 * whose caller gave up, any response, even an error status) is passed on
 * as it came. It does not word the failure: upstream_failure.ts does.
 * @module
 */

/** The methods sent again: they read and change nothing upstream. */
const READS: ReadonlySet<string> = new Set([
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "prompts/get",
  "resources/read",
  "server/discover",
]);

/**
 * True when `body` is one JSON-RPC request whose method only reads.
 *
 * @example
 * ```ts
 * import { isReadRequest } from "./read_retry.ts";
 * console.log(isReadRequest('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')); // true
 * console.log(isReadRequest('{"jsonrpc":"2.0","id":2,"method":"tools/call"}')); // false
 * ```
 */
export function isReadRequest(body: unknown): boolean {
  if (typeof body !== "string") return false;
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return false;
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) return false;
  const { id, method } = message as { id?: unknown; method?: unknown };
  return (typeof id === "string" || typeof id === "number") &&
    typeof method === "string" && READS.has(method);
}

/**
 * `base`, with a read POST that failed before any response sent once more
 * (see the module doc); its second failure is the caller's.
 *
 * @example
 * ```ts
 * import { retryingReads } from "./read_retry.ts";
 * const upstreamFetch: typeof fetch = retryingReads(fetch);
 * ```
 */
export function retryingReads(base: typeof fetch): typeof fetch {
  return async (input, init) => {
    try {
      return await base(input, init);
    } catch (error) {
      if (!sentAgain(input, init, error)) throw error;
      return await base(input, init);
    }
  };
}

function sentAgain(input: RequestInfo | URL, init: RequestInit | undefined, error: unknown) {
  if (input instanceof Request || (init?.method ?? "GET").toUpperCase() !== "POST") return false;
  if (init?.signal?.aborted === true) return false;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "AbortError" || name === "TimeoutError") return false;
  return isReadRequest(init?.body);
}
