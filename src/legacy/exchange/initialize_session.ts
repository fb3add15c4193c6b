/**
 * A sessionful `initialize`: answered by `answerInitialize` (the version
 * negotiated by the dispatcher), then a new session for its caller (or the
 * refusal of the session cap), its span ended with the session's id. It
 * serves only a lone `initialize` (the pipeline refuses one in a batch);
 * the stateless mode opens nothing.
 * @module
 */

import { jsonResponse } from "../../http/error_response.ts";
import type { Refusal } from "../../http/refusal.ts";
import type { JsonRpcRequest } from "../../jsonrpc/messages.ts";
import type { Events } from "../../observe/events.ts";
import type { Principal } from "../../protocol/context/request_context.ts";
import type { Dispatcher } from "../../protocol/dispatch/dispatcher.ts";
import type { Telemetry } from "../../observe/telemetry/telemetry.ts";
import { answerInitialize } from "./initialize_answer.ts";
import type { SessionManager } from "../sessions/session_manager.ts";

/** What an `initialize` uses. */
export interface InitializeParts {
  dispatcher: Dispatcher;
  sessions: SessionManager;
  events: Events;
  telemetry: Telemetry;
}

/** Answers `request` (an `initialize` POSTed as `post`) with a new session's id, or a refusal. */
export function initializeSession(
  parts: InitializeParts,
  request: JsonRpcRequest,
  principal: Principal,
  post: Request,
): Promise<Response | Refusal> {
  return answerInitialize(
    parts,
    request,
    principal,
    post,
    async (response, version, metadataJson) => {
      const created = await parts.sessions.create(principal, version, metadataJson);
      if (!created.ok) return { answer: created.refusal };
      const sessionId = created.session.id;
      parts.events.sessionCreated(sessionId, version);
      return {
        answer: jsonResponse(JSON.stringify(response), { "mcp-session-id": sessionId }),
        sessionId,
      };
    },
  );
}
