/**
 * The one table of the gateway subpath's defaults (`@tether/mcp/gateway`), by
 * option type and field: `createGateway`, the upstreams, the pins and the
 * credential hooks read their defaults here and nowhere else, and every plain
 * `@default` of those types matches it (scripts/options_reference.ts checks;
 * docs/options.md lists them). It imports nothing, so every module of the
 * gateway may read it.
 * @module
 */

const KiB = 1024;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * Who the gateway says it is to its upstreams (`clientInfo`).
 *
 * @example
 * ```ts
 * import { GATEWAY_CLIENT_INFO } from "./gateway_defaults.ts";
 * console.log(GATEWAY_CLIENT_INFO.name); // tether-gateway
 * ```
 */
export const GATEWAY_CLIENT_INFO: { name: string; version: string } = {
  name: "tether-gateway",
  version: "1.0.0",
};

/**
 * The defaults of the gateway subpath, by option type and field.
 *
 * @example
 * ```ts
 * import { GATEWAY_DEFAULTS } from "./gateway_defaults.ts";
 * GATEWAY_DEFAULTS.GatewayOptions.maxSessions; // 1_000
 * ```
 */
export const GATEWAY_DEFAULTS = {
  GatewayOptions: {
    idleProbeMs: MINUTE,
    probeTimeoutMs: 5 * SECOND,
    graceMs: 5 * SECOND,
    callTimeoutMs: 5 * MINUTE,
    maxSessions: 1_000,
    maxSessionsPerPrincipal: 32,
    maxSubscriptionStreams: 512,
    maxSubscriptionStreamsPerPrincipal: 32,
    maxRelayedProgress: 1_000,
    maxRelayedLogs: 1_000,
    maxRelayedRequests: 4,
    maxProcesses: 64,
    maxProcessesPerPrincipal: 16,
    stdioIdleCloseMs: MINUTE,
    statelessTtlMs: 5 * MINUTE,
    maxRelayBytes: 4 * KiB * KiB,
    retryMs: SECOND,
    maxRetryMs: MINUTE,
    tasks: false,
  },
  HttpUpstreamOptions: {
    maxMessageBytes: 4 * KiB * KiB,
    followSameOriginRedirects: false,
    protocol: "auto",
  },
  StdioUpstreamOptions: {
    stderr: "inherit",
    maxMessageBytes: 4 * KiB * KiB,
    protocol: "auto",
    discoverTimeoutMs: 10 * SECOND,
  },
  TokenClient: { timeoutMs: 10 * SECOND, maxResponseBytes: 64 * KiB },
  TokenCacheOptions: {
    skewMs: 30 * SECOND,
    maxEntries: 10_000,
    retryMs: SECOND,
    maxRetryMs: 30 * SECOND,
  },
  TokenExchangeOptions: {
    skewMs: 30 * SECOND,
    maxEntries: 10_000,
    retryMs: SECOND,
    maxRetryMs: 30 * SECOND,
  },
  ClientCredentialsOptions: { skewMs: 30 * SECOND, retryMs: SECOND, maxRetryMs: 30 * SECOND },
  PinOptions: { onDrift: "hide", unpinned: "hide" },
} as const;
