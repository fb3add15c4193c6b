/**
 * What an upstream asks or logs while a downstream call runs (elicitation,
 * sampling, roots, logging), passed to that call within its bounds: the
 * session client's handlers for them, and the client capabilities a gateway
 * declares upstream (those of the downstream client it can relay). It does
 * not decide which call a message belongs to (call_routes.ts does) and
 * relays nothing addressed to the session itself, such as list changes
 * (upstream_connection.ts does).
 * @module
 */

import type { SessionClient } from "../../client/session_client.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { isLoggingLevel } from "../../protocol/context/logging.ts";
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
  throw new McpError(
    ErrorCode.InvalidRequest,
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
 * ```ts ignore (internal: needs an upstream session's client and its routes)
 * relayCallMessages(client, routes, relayedCapabilities(downstream), 1_048_576);
 * ```
 */
export function relayCallMessages(
  client: SessionClient,
  routes: CallRoutes,
  capabilities: Record<string, unknown>,
  maxRelayBytes: number,
): void {
  if (capabilities.elicitation !== undefined) {
    client.setRequestHandler("elicitation/create", async (params, info) => {
      const relay = routes.target(info.relatedRequestId);
      checkRelayed(params, maxRelayBytes, "elicitation request");
      const ctx = relay.ctx;
      return await relay.request(
        () => ctx.elicit(params as unknown as ElicitParams, { signal: ctx.signal }),
        tooMany,
      ) as Record<string, unknown>;
    });
  }
  if (capabilities.sampling !== undefined) {
    client.setRequestHandler("sampling/createMessage", async (params, info) => {
      const relay = routes.target(info.relatedRequestId);
      checkRelayed(params, maxRelayBytes, "sampling request");
      return await relay.request(() => relay.ctx.sample(params), tooMany) as Record<
        string,
        unknown
      >;
    });
  }
  if (capabilities.roots !== undefined) {
    client.setRequestHandler("roots/list", async (_params, info) => {
      const relay = routes.target(info.relatedRequestId);
      return await relay.request(() => relay.ctx.listRoots(), tooMany) as Record<string, unknown>;
    });
  }
  client.setNotificationHandler("notifications/message", async (params, info) => {
    const relay = routes.route(info.relatedRequestId);
    if (relay === undefined) return;
    const { level, data, logger } = params;
    if (!isLoggingLevel(level) || (logger !== undefined && typeof logger !== "string")) {
      return routes.dropped();
    }
    try {
      checkRelayed(data, maxRelayBytes, "log message");
    } catch {
      return routes.dropped();
    }
    await relay.log(level, data, logger);
  });
}
