/**
 * The SERVER span of a client notification (`notifications/cancelled`,
 * `notifications/initialized`, an extension's own...), per the MCP semantic
 * conventions: named by its method (a known name or `_OTHER`), with the
 * method, protocol version, session and transport attributes and no request
 * id (a notification has none), parented like a request's (trace_parent.ts).
 * It covers the notification's delivery. Not here: metrics (the operation
 * duration measures requests) and server→client notifications.
 * @module
 */

import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from "@opentelemetry/api";
import type { JsonRpcNotification } from "../../jsonrpc/messages.ts";
import { truncateUtf8 } from "./bounded_values.ts";
import { ATTR } from "./conventions.ts";
import type { KnownNames } from "./known_names.ts";
import { parentOf } from "./trace_parent.ts";

/** A notification's span, ended once it was delivered. */
export interface NotificationSpan {
  /** Ends the span; `errorType` marks it failed (e.g. the bus could not take a cancellation). */
  end(errorType?: string): void;
}

/**
 * Starts the span of `notification`, received over `http` in
 * `protocolVersion` (empty: unknown) and, in the sessionful revisions, `sessionId`.
 *
 * @example
 * ```ts ignore (internal: needs a tracer, the known names and a request's context)
 * const span = startNotificationSpan(tracer, names, http, notification, "2025-11-25", sessionId);
 * await deliver(notification);
 * span.end();
 * ```
 */
export function startNotificationSpan(
  tracer: Tracer,
  names: KnownNames,
  http: Context,
  notification: JsonRpcNotification,
  protocolVersion: string,
  sessionId: string | undefined,
): NotificationSpan {
  const method = names.notification(notification.method);
  const attributes: Attributes = {
    [ATTR.method]: method,
    [ATTR.networkTransport]: "tcp",
    [ATTR.networkProtocol]: "http",
  };
  if (protocolVersion !== "") attributes[ATTR.protocolVersion] = truncateUtf8(protocolVersion);
  if (sessionId !== undefined) attributes[ATTR.sessionId] = truncateUtf8(sessionId);
  const { parent, links } = parentOf(notification, http);
  const span: Span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes, links }, parent);
  return {
    end(errorType) {
      if (errorType !== undefined) {
        span.setAttribute(ATTR.errorType, truncateUtf8(errorType));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
