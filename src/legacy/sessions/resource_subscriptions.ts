/**
 * `resources/subscribe` in a session: the resource must exist, and a
 * session's subscriptions are bounded in count and in bytes. The session
 * keeps them (src/legacy/streams/listening_notifications.ts reads them); it
 * sends nothing.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { utf8Length } from "../../jsonrpc/utf8_length.ts";
import type { ResourceRegistry } from "../../protocol/registries/resources.ts";
import type { SessionManager } from "./session_manager.ts";

/** The bounds of one session's subscriptions. */
export interface SubscriptionLimits {
  maxSubscriptions: number;
  maxSubscriptionBytes: number;
}

/** Subscribes session `id` to `uri`; throws the MCP error a client gets when it may not. */
export async function subscribe(
  sessions: SessionManager,
  resources: ResourceRegistry,
  limits: SubscriptionLimits,
  id: string,
  uri: string,
): Promise<void> {
  if (!resources.has(uri)) {
    throw new McpError(ErrorCode.ResourceNotFound, "Resource not found", { uri });
  }
  const current = await sessions.get(id);
  const subscriptions = current?.subscriptions ?? [];
  if (subscriptions.includes(uri)) return;
  if (subscriptions.length >= limits.maxSubscriptions) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Too many subscriptions (limit ${limits.maxSubscriptions})`,
    );
  }
  let bytes = utf8Length(uri);
  for (const held of subscriptions) bytes += utf8Length(held);
  if (bytes > limits.maxSubscriptionBytes) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Subscriptions would exceed ${limits.maxSubscriptionBytes} bytes`,
    );
  }
  await sessions.update(id, { subscribe: uri });
}
