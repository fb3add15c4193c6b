/**
 * How the gateway POSTs a 2026-07-28 request to an HTTP upstream: the
 * credentials hook's headers for the caller, asked again for each request
 * (there is no session to keep them), over the upstream's bounded fetch
 * (upstream_fetch.ts: sizes, redirects). It reads no answer (modern_wire.ts)
 * and picks no revision (modern_negotiation.ts).
 * @module
 */

import type { Principal } from "../../protocol/context/request_context.ts";

/**
 * Which revision the gateway speaks to an upstream (HTTP or stdio): `"auto"` asks
 * `server/discover` first and falls back to a 2025 session when the
 * upstream does not serve 2026-07-28 (when it does, each downstream 2025
 * session still gets a 2025 upstream session of its own where the upstream
 * serves one); `"2026-07-28"` or `"2025"` forces one for every caller.
 *
 * @example
 * ```ts
 * import type { UpstreamProtocol } from "@tether/mcp/gateway";
 * const protocol: UpstreamProtocol = "auto";
 * ```
 */
export type UpstreamProtocol = "auto" | "2026-07-28" | "2025";

/**
 * The 2026-07-28 side of an upstream (`Upstream.modern`): HTTP's
 * ({@linkcode modernEndpoint}), or a stdio upstream's (lines to a process
 * per principal, answered as SSE responses: stdio/modern_stdio_endpoint.ts).
 *
 * @example
 * ```ts ignore (internal: needs a live upstream endpoint and the caller's principal)
 * const response = await endpoint.post(principal, body, { "mcp-method": "tools/list" }, signal);
 * ```
 */
export interface ModernEndpoint {
  /** `"auto"` (probe, fall back to 2025) or `"2026-07-28"` (no fallback). */
  readonly protocol: "auto" | "2026-07-28";
  /**
   * Set where silence is how a 2025-only server answers `server/discover`
   * (stdio: no status to read): the discover is given this long, ms, and no
   * answer within it, or a stream that ends without one, falls back as a
   * refusal does. Unset (HTTP): those are failures (the upstream is down).
   */
  readonly discoverTimeoutMs?: number;
  /** POSTs one JSON-RPC message for `principal`: the response, not yet read. */
  post(
    principal: Principal,
    body: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Response>;
}

/** The most same-origin redirects (`307`/`308`) followed for one request. */
const MAX_HOPS = 5;

/**
 * The endpoint at `url`: `credentials` gives each request's headers,
 * `fetch` is the upstream's watched fetch (it hands back only redirects it
 * allows followed).
 *
 * @example
 * ```ts ignore (internal: the gateway builds it from an upstream's options)
 * const endpoint = modernEndpoint(new URL("http://127.0.0.1:9000/mcp"), "auto", fetch, () => Promise.resolve({}));
 * ```
 */
export function modernEndpoint(
  url: URL,
  protocol: "auto" | "2026-07-28",
  fetch: typeof globalThis.fetch,
  credentials: (principal: Principal) => Promise<Record<string, string>>,
): ModernEndpoint {
  return {
    protocol,
    async post(principal, body, headers, signal) {
      const sent = { ...(await credentials(principal)), ...headers };
      let target = url;
      for (let hop = 0;; hop++) {
        const response = await fetch(target, { method: "POST", headers: sent, body, signal });
        if (response.status < 300 || response.status >= 400) return response;
        await response.body?.cancel().catch(() => {});
        const location = response.headers.get("location");
        // A POST keeps its body only through 307 and 308.
        if ((response.status !== 307 && response.status !== 308) || location === null) {
          throw new Error("The upstream answered with a redirect, which is not followed");
        }
        if (hop === MAX_HOPS) throw new Error("The upstream redirected too many times");
        target = new URL(location, target);
      }
    },
  };
}
