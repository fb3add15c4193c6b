/**
 * What an upstream asks or logs while a downstream call runs (elicitation,
 * sampling, roots, logging), passed to that call within its bounds: the
 * SDK client's handlers for them, and the client capabilities a gateway
 * declares upstream (those of the downstream client it can relay). It does
 * not decide which call a message belongs to (call_routes.ts does) and
 * relays nothing addressed to the session itself, such as list changes
 * (upstream_connection.ts does).
 * @module
 */

// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode as SdkErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError as SdkMcpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { ElicitParams } from "../../protocol/context/elicitation.ts";
import type { ClientCapabilities } from "../../protocol/types.ts";
import type { CallRoutes } from "./call_routes.ts";
import { checkRelayed } from "../relay_limits.ts";

/**
 * The client capabilities a gateway relays: the downstream's elicitation,
 * sampling and roots, no more (the upstream sees what the caller declared).
 *
 * @example
 * ```ts
 * import { relayedCapabilities } from "./call_relay_handlers.ts";
 * console.log(relayedCapabilities({ roots: {}, experimental: {} })); // { roots: {} }
 * ```
 */
export function relayedCapabilities(capabilities: ClientCapabilities): Record<string, unknown> {
  const relayed: Record<string, unknown> = {};
  for (const key of ["elicitation", "sampling", "roots"]) {
    const value = (capabilities as Record<string, unknown>)[key];
    if (typeof value === "object" && value !== null) relayed[key] = value;
  }
  return relayed;
}

/** The refusal of an upstream→client request past its call's bound. */
const tooMany = (): never => {
  throw new SdkMcpError(
    SdkErrorCode.InvalidRequest,
    "Too many requests in flight for this call; answer the ones sent first",
  );
};

/**
 * Sets `client`'s handlers for what its upstream asks or logs during a
 * call, each passed to the call `routes` finds for it: the requests of the
 * `capabilities` relayed (see {@linkcode relayedCapabilities}), and log
 * messages. A message over `maxRelayBytes` is refused (a request) or
 * dropped and counted (a log message).
 *
 * @example
 * ```ts ignore (internal: needs an upstream session's SDK client and its routes)
 * relayCallMessages(client, routes, relayedCapabilities(downstream), 1_048_576);
 * ```
 */
export function relayCallMessages(
  client: Client,
  routes: CallRoutes,
  capabilities: Record<string, unknown>,
  maxRelayBytes: number,
): void {
  if (capabilities.elicitation !== undefined) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      const relay = routes.target(request.params);
      checkRelayed(request.params, maxRelayBytes, "elicitation request");
      const params = request.params as unknown as ElicitParams;
      const ctx = relay.ctx;
      return await relay.request(
        () => ctx.elicit(params, { signal: ctx.signal }),
        tooMany,
      ) as never;
    });
  }
  if (capabilities.sampling !== undefined) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const relay = routes.target(request.params);
      checkRelayed(request.params, maxRelayBytes, "sampling request");
      const params = request.params as Record<string, unknown>;
      return await relay.request(() => relay.ctx.sample(params), tooMany) as never;
    });
  }
  if (capabilities.roots !== undefined) {
    client.setRequestHandler(ListRootsRequestSchema, async (request) => {
      const relay = routes.target(request.params);
      return await relay.request(() => relay.ctx.listRoots(), tooMany) as never;
    });
  }
  client.setNotificationHandler(LoggingMessageNotificationSchema, async (notification) => {
    const relay = routes.route(notification.params);
    if (relay === undefined) return;
    const { level, data, logger } = notification.params;
    try {
      checkRelayed(data, maxRelayBytes, "log message");
    } catch {
      return routes.dropped();
    }
    await relay.log(level, data, logger);
  });
}
