/**
 * What the gateway knows of an upstream MCP server before it talks to it: a
 * name, and a `connect` that opens one fresh transport for one principal.
 * This module keeps no state: opening, reusing and closing upstream
 * sessions is upstream_slot.ts's job, stdio subprocesses stdio_upstream.ts's.
 * @module
 */

import { HttpSessionTransport } from "../client/http_session_transport.ts";
import type { MessageTransport as UpstreamTransport } from "../client/message_transport.ts";
import type { Principal } from "../protocol/context/request_context.ts";
import { GATEWAY_DEFAULTS } from "./gateway_defaults.ts";
import { watchStreams } from "./upstream_fetch.ts";
import { retryingReads } from "./read_retry.ts";
import { unansweredResponse } from "./upstream_failure.ts";
import {
  type ModernEndpoint,
  modernEndpoint,
  type UpstreamProtocol,
} from "./modern/modern_endpoint.ts";

/** Upstream names: they prefix the names the gateway lists, so they stay short and plain. */
const UPSTREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Credentials for one upstream, chosen for the downstream caller: headers
 * for an HTTP upstream (e.g. from a token exchange), environment variables
 * for a stdio one. Given the principal only, never the downstream request
 * or its token: MCP forbids passing a client's token through.
 *
 * @example
 * ```ts
 * import type { UpstreamCredentials } from "@tether/mcp/gateway";
 * const credentials: UpstreamCredentials = (principal) => ({ "x-user": principal.id });
 * ```
 */
export type UpstreamCredentials = (
  principal: Principal,
) => Record<string, string> | undefined | Promise<Record<string, string> | undefined>;

export type { MessageTransport as UpstreamTransport } from "../client/message_transport.ts";

/**
 * A transport just opened to an upstream, not yet started (the session
 * client starts it), with how to end it by force when a graceful close overruns.
 *
 * @example
 * ```ts ignore (a fragment: the transport and the child process are the caller's)
 * const opened: OpenedTransport = { transport, kill: () => child.kill("SIGKILL") };
 * ```
 */
export interface OpenedTransport {
  /** The transport, not yet started. */
  transport: UpstreamTransport;
  /** Ends the upstream at once (stdio: kills the process group); after the grace. */
  kill?(): void;
  /** Ends the upstream session politely (HTTP: DELETE); raced against the grace. */
  end?(): Promise<void>;
  /**
   * Registers who is told when a response stream from the upstream ends or
   * breaks (HTTP: an SSE body), so calls waiting on a dead upstream are
   * found by a probe instead of waiting for their timeout; `oversized` when
   * it broke on a message over the limit (the session is then ended),
   * `unanswered` when calls it carried were failed for want of their answer.
   */
  onStreamEnd?(listener: (oversized: boolean, unanswered: boolean) => void): void;
}

/**
 * An upstream MCP server the gateway serves from: build one with
 * {@linkcode httpUpstream} or `stdioUpstream`, or write `connect` yourself.
 *
 * @example
 * ```ts
 * import { httpUpstream } from "@tether/mcp/gateway";
 * const files = httpUpstream({ name: "files", url: "http://127.0.0.1:9000/mcp" });
 * console.log(files.name); // "files"
 * ```
 */
export interface Upstream {
  /** 1-64 of `[A-Za-z0-9_-]`, unique within the gateway: the default namespace of its names. */
  readonly name: string;
  /** Opens one fresh transport (one upstream session) for `principal`. */
  connect(principal: Principal): Promise<OpenedTransport>;
  /** Its 2026-07-28 side, when it may serve that revision (HTTP upstreams, stdio ones in a gateway; see modern_endpoint.ts). */
  readonly modern?: ModernEndpoint;
}

/** Throws when `name` is not an upstream name. */
export function checkUpstreamName(name: unknown): string {
  if (typeof name !== "string" || !UPSTREAM_NAME.test(name)) {
    throw new TypeError(
      `Invalid upstream name ${JSON.stringify(name)}: use 1-64 of [A-Za-z0-9_-]`,
    );
  }
  return name;
}

/**
 * Options of {@linkcode httpUpstream}.
 *
 * @example
 * ```ts
 * import type { HttpUpstreamOptions } from "@tether/mcp/gateway";
 * const options: HttpUpstreamOptions = { name: "files", url: "http://127.0.0.1:9000/mcp" };
 * ```
 */
export interface HttpUpstreamOptions {
  /** The upstream's name (see {@linkcode Upstream.name}). */
  name: string;
  /** Its Streamable HTTP endpoint. */
  url: string | URL;
  /** Headers for the caller, e.g. an exchanged token. Default: none. */
  credentials?: UpstreamCredentials;
  /** The fetch used for the upstream. Default: the global fetch. */
  fetch?: typeof fetch;
  /**
   * The largest message read from the upstream (a JSON body, or one SSE
   * event), bytes; past it the response fails (and so the call).
   * @default {4_194_304}
   */
  maxMessageBytes?: number;
  /**
   * Follows a redirect (`307`, `308`; `301`-`303` of a `GET`) to the same
   * origin as `url`, with the call's body and credentials. Otherwise, and
   * always to another origin, a redirect fails the call as the upstream
   * being unavailable.
   * @default {false}
   */
  followSameOriginRedirects?: boolean;
  /**
   * The revision spoken to it: `"auto"` asks `server/discover`; to an
   * upstream that serves 2026-07-28 it speaks it (stateless requests) for
   * 2026-07-28 callers and opens a 2025 session of its own for each
   * downstream 2025 session (unless the upstream refuses those: then
   * 2026-07-28 for all); to any other, 2025 sessions. `"2026-07-28"` speaks
   * only 2026-07-28, for every caller, and never falls back; `"2025"` never asks.
   * @default {"auto"}
   */
  protocol?: UpstreamProtocol;
}

/** Header names a credentials hook may not set: the transport owns them. */
const TRANSPORT_HEADERS = new Set([
  "mcp-session-id",
  "mcp-protocol-version",
  "content-type",
  "mcp-method",
  "mcp-name",
]);

/**
 * A Streamable HTTP upstream: it negotiates the newest revision both sides
 * know. Each upstream session ends with a `DELETE`. Redirects are not
 * followed (see {@linkcode HttpUpstreamOptions.followSameOriginRedirects}).
 *
 * @example
 * ```ts
 * import { httpUpstream } from "@tether/mcp/gateway";
 * const files = httpUpstream({
 *   name: "files",
 *   url: "https://files.internal/mcp",
 *   credentials: (principal) => ({ authorization: `Bearer service-token-for-${principal.id}` }),
 * });
 * ```
 */
export function httpUpstream(options: HttpUpstreamOptions): Upstream {
  const name = checkUpstreamName(options.name);
  const url = new URL(options.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Upstream "${name}": url must be http(s), got ${url.protocol}`);
  }
  const credentials = options.credentials;
  const headersFor = async (principal: Principal) => {
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((await credentials?.(principal)) ?? {})) {
      if (TRANSPORT_HEADERS.has(key.toLowerCase())) continue;
      headers[key] = value;
    }
    return headers;
  };
  const followSameOriginRedirects = options.followSameOriginRedirects ??
    GATEWAY_DEFAULTS.HttpUpstreamOptions.followSameOriginRedirects;
  const maxMessageBytes = options.maxMessageBytes ??
    GATEWAY_DEFAULTS.HttpUpstreamOptions.maxMessageBytes;
  const protocol = options.protocol ?? GATEWAY_DEFAULTS.HttpUpstreamOptions.protocol;
  // A read that met a closed keep-alive connection is sent once more (read_retry.ts).
  const upstreamFetch = retryingReads(options.fetch ?? fetch);
  return {
    name,
    // 2026-07-28 requests: the same bounds; a stream that ends unanswered is failed in it.
    modern: protocol === "2025" ? undefined : modernEndpoint(
      url,
      protocol,
      watchStreams(upstreamFetch, {
        origin: url.origin,
        followSameOriginRedirects,
        maxMessageBytes,
        unansweredResponse: (id: string | number) => unansweredResponse(name, id),
      }),
      headersFor,
    ),
    async connect(principal) {
      const transport = new HttpSessionTransport(url, {
        headers: await headersFor(principal),
        fetch: upstreamFetch,
        maxMessageBytes,
        followSameOriginRedirects,
        // A dropped stream is the upstream's business; calls fail and the slot recreates.
        reconnect: { initialDelayMs: 1_000, maxDelayMs: 30_000, growFactor: 1.5, maxRetries: 2 },
      });
      return {
        transport,
        end: () => transport.terminate(),
        onStreamEnd: (listener) => transport.onStreamEnd = listener,
      };
    },
  };
}
