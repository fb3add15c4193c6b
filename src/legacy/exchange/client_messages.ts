/**
 * The client's own messages in a sessionful POST, besides its requests:
 * notifications (a cancellation reaches its request wherever it runs; an
 * extension's notification goes to the extension) and replies to the
 * server's requests (settled here, or sent over the bus to the instance that
 * awaits them). Delivered in the order posted, before the POST's requests
 * run. Does not run requests (request_exchange.ts) nor resolve the session
 * (the caller has checked that the principal owns it). Each notification
 * gets its span when a tracer is registered (notification_telemetry.ts).
 * @module
 */

import { busUnavailable, type Refusal, refuse } from "../../http/refusal.ts";
import type {
  ClassifiedMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  RequestId,
} from "../../jsonrpc/messages.ts";
import { ownerKeyOf, type Principal } from "../../protocol/context/request_context.ts";
import type { Dispatcher } from "../../protocol/dispatch/dispatcher.ts";
import { BusMessageTooLargeError } from "../../bus/message_bus.ts";
import type { Delivery, TargetedMessage } from "../../bus/delivery.ts";
import type { AwaitedReplies } from "../sessions/awaited_replies.ts";
import type { PendingRequests } from "./pending_requests.ts";
import type { SessionRecord } from "../../storage/sessions/session_store.ts";
import type { NotificationSpan } from "../../observe/telemetry/notification_telemetry.ts";
import type { PostTelemetry } from "../../observe/telemetry/telemetry.ts";

/** What delivering a POST's notifications and replies needs. */
export interface ClientMessageDependencies {
  dispatcher: Dispatcher;
  /** This instance's server→client requests awaiting their reply. */
  pending: PendingRequests;
  delivery: Pick<Delivery, "deliver">;
  /** With a bus: the server→client requests some instance awaits. */
  awaited: AwaitedReplies | undefined;
  onError: (error: unknown) => void;
}

/**
 * Delivers the notifications and replies among `messages`, in order, and
 * returns the requests left to run; or the refusal that ends the POST when a
 * cancellation or reply must cross a bus that cannot take it (413 when it is
 * too large for the bus, else 503). A store that cannot tell whether a reply
 * is awaited elsewhere throws, and the POST answers 503.
 *
 * @example
 * ```ts ignore (internal: needs the sessionful era's parts and a session)
 * const delivered = await deliverClientMessages(deps, session, principal, messages);
 * if (!Array.isArray(delivered)) return delivered; // the refusal
 * if (delivered.length === 0) return accepted();
 * ```
 */
export async function deliverClientMessages(
  deps: ClientMessageDependencies,
  session: SessionRecord,
  principal: Principal,
  messages: readonly ClassifiedMessage[],
  telemetry?: PostTelemetry,
): Promise<JsonRpcRequest[] | Refusal> {
  const requests: JsonRpcRequest[] = [];
  for (const classified of messages) {
    if (classified.kind === "request") {
      requests.push(classified.message);
      continue;
    }
    // Cancellations and replies take one path, wherever their request runs.
    let message: TargetedMessage | undefined;
    let span: NotificationSpan | undefined;
    if (classified.kind === "notification") {
      span = telemetry?.notification(classified.message, session.protocolVersion, session.id);
      message = cancellationOf(session.id, classified.message);
      if (message === undefined) {
        // An extension's notification, if one handles it (never fails the POST).
        await deps.dispatcher.receiveNotification(
          classified.message.method,
          classified.message.params,
          { principal, protocolVersion: session.protocolVersion },
        );
      }
    } else {
      const response = classified.message as JsonRpcResponse;
      const ownerKey = ownerKeyOf(principal);
      // Settled here, or it crosses the bus only when another instance awaits it; anything else
      // is dropped (202).
      if (
        deps.pending.deliver(session.id, ownerKey, response) ||
        !(await awaitedElsewhere(deps, session.id, response))
      ) continue;
      message = { type: "reply", sessionId: session.id, ownerKey, response };
    }
    const failed = message === undefined ? undefined : await deliverOrRefuse(deps, message);
    span?.end(failed === undefined ? undefined : String(failed.code));
    if (failed !== undefined) return failed;
  }
  return requests;
}

/** True when another instance recorded `response`'s id as awaited (only with a bus). */
async function awaitedElsewhere(
  deps: ClientMessageDependencies,
  sessionId: string,
  response: JsonRpcResponse,
): Promise<boolean> {
  return deps.awaited !== undefined && deps.pending.issuedElsewhere(response.id) &&
    await deps.awaited.has(sessionId, response.id as string);
}

/**
 * Delivers a cancellation or a reply; the refusal that ends the POST when it
 * must cross a bus that cannot take it (413 when too large for the bus, else 503).
 *
 * @example
 * ```ts ignore (internal: needs the sessionful era's delivery)
 * const refused = await deliverOrRefuse(deps, { type: "cancel", sessionId, requestId: 7 });
 * if (refused !== undefined) return refused;
 * ```
 */
export async function deliverOrRefuse(
  deps: Pick<ClientMessageDependencies, "delivery" | "onError">,
  message: TargetedMessage,
): Promise<Refusal | undefined> {
  try {
    await deps.delivery.deliver(message);
    return undefined;
  } catch (error) {
    if (error instanceof BusMessageTooLargeError) {
      // A reply too large for the bus would be refused again on a retry: not a 503.
      return refuse(413, "Payload Too Large: the reply exceeds the bus's message size limit", {
        step: "bus",
      });
    }
    deps.onError(error);
    return busUnavailable();
  }
}

/** The cancellation a client notification asks for; others (initialized, roots/list_changed, unknown) need no action. */
function cancellationOf(
  sessionId: string,
  notification: JsonRpcNotification,
): TargetedMessage | undefined {
  const requestId = cancelledRequestId(notification);
  // Only this session's requests can be reached: the caller owns the session (checked above).
  return requestId === undefined ? undefined : { type: "cancel", sessionId, requestId };
}

/**
 * The request id a `notifications/cancelled` names; undefined for any other
 * notification, or one whose `requestId` is not a string or a number.
 *
 * @example
 * ```ts
 * import { cancelledRequestId } from "./client_messages.ts";
 * cancelledRequestId({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 7 } }); // 7
 * ```
 */
export function cancelledRequestId(notification: JsonRpcNotification): RequestId | undefined {
  if (notification.method !== "notifications/cancelled") return undefined;
  const requestId = notification.params?.requestId;
  return typeof requestId === "string" || typeof requestId === "number" ? requestId : undefined;
}
