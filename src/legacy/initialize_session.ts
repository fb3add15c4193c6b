/**
 * A sessionful `initialize`: the version negotiated by the dispatcher, then
 * a new session for its caller (or the refusal of the session cap), its
 * span ended with the session's id. It serves only a lone `initialize`
 * (the pipeline refuses one in a batch); the stateless mode answers its own.
 * @module
 */

import { jsonResponse } from "../http/error_response.ts";
import type { Refusal } from "../http/refusal.ts";
import { asPlainObject, type JsonRpcRequest } from "../jsonrpc/messages.ts";
import type { Events } from "../events.ts";
import type { Principal } from "../protocol/context.ts";
import type { Dispatcher } from "../protocol/dispatcher.ts";
import type { ClientCapabilities, Implementation } from "../protocol/types.ts";
import type { Telemetry } from "../telemetry/telemetry.ts";
import { initializeContext, oversizedClientMetadata } from "./initialize_context.ts";
import type { SessionManager } from "./sessions/session_manager.ts";

/** What an `initialize` uses. */
export interface InitializeParts {
  dispatcher: Dispatcher;
  sessions: SessionManager;
  events: Events;
  telemetry: Telemetry;
}

/** Answers `request` (an `initialize` POSTed as `post`) with a new session's id, or a refusal. */
export async function initializeSession(
  parts: InitializeParts,
  request: JsonRpcRequest,
  principal: Principal,
  post: Request,
): Promise<Response | Refusal> {
  const params = request.params ?? {};
  const capabilities = (asPlainObject(params.capabilities) ?? {}) as ClientCapabilities;
  const clientInfo = asPlainObject(params.clientInfo) as Implementation | undefined;
  const oversized = oversizedClientMetadata(request, capabilities, clientInfo ?? null);
  if (oversized !== undefined) return oversized;
  const observed = parts.telemetry.begin(post)?.start(request, "", undefined, false);
  const response = await parts.dispatcher.handle(request, initializeContext(principal));
  if ("error" in response) {
    observed?.end(response);
    return jsonResponse(JSON.stringify(response), undefined, 400);
  }
  const version = response.result.protocolVersion as string;
  const created = await parts.sessions.create(principal, version, capabilities, clientInfo)
    .catch((error) => {
      observed?.failed(error);
      throw error;
    });
  observed?.end(response, created.ok ? created.session.id : undefined, version);
  if (!created.ok) return created.refusal;
  const session = created.session;
  parts.events.sessionCreated(session.id, version);
  return jsonResponse(JSON.stringify(response), { "mcp-session-id": session.id });
}
