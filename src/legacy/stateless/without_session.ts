/**
 * What the 2025 revisions served without sessions (stateless_legacy.ts)
 * answer where a session would be needed: session operations that refuse or
 * keep nothing, `405` for GET and DELETE, and an `initialize` result that
 * advertises nothing a session carries. It serves no request itself.
 * @module
 */

import { type Refusal, refuse } from "../../http/refusal.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { asPlainObject } from "../../jsonrpc/messages.ts";
import type { SessionOperations } from "../exchange/request_context.ts";

/**
 * Said by every refusal of something that needs a session.
 *
 * @example
 * ```ts
 * import { STATELESS_NOTE } from "./without_session.ts";
 * console.log(`resources/subscribe needs a session: ${STATELESS_NOTE}`);
 * ```
 */
export const STATELESS_NOTE =
  'this server serves 2025 clients without sessions (eras: { legacy: "stateless" })';

/**
 * Session operations where there is no session: subscriptions refused, the
 * logging level kept nowhere, no state.
 *
 * @example
 * ```ts
 * import { NO_SESSION } from "./without_session.ts";
 * await NO_SESSION.setLogLevel("stateless-1", "debug"); // succeeds, changes nothing
 * ```
 */
export const NO_SESSION: SessionOperations = {
  state: () => {
    throw new McpError(ErrorCode.InternalError, `No session state: ${STATELESS_NOTE}`);
  },
  setLogLevel: () => Promise.resolve(),
  subscribe: () =>
    Promise.reject(
      new McpError(
        ErrorCode.MethodNotFound,
        `resources/subscribe needs a session: ${STATELESS_NOTE}`,
      ),
    ),
  unsubscribe: () =>
    Promise.reject(
      new McpError(
        ErrorCode.MethodNotFound,
        `resources/unsubscribe needs a session: ${STATELESS_NOTE}`,
      ),
    ),
};

/**
 * `405` + `Allow: POST` for GET and DELETE: no listening stream, no session to end.
 *
 * @example
 * ```ts
 * import { notAllowed } from "./without_session.ts";
 * console.log(notAllowed().status); // 405
 * ```
 */
export function notAllowed(): Refusal {
  return refuse(405, "Method Not Allowed: this server keeps no sessions", {
    headers: { allow: "POST" },
    step: "method",
  });
}

/**
 * An `initialize` result without what needs a session: resource
 * subscriptions and `listChanged`.
 *
 * @example
 * ```ts
 * import { withoutSessionCapabilities } from "./without_session.ts";
 * withoutSessionCapabilities({ capabilities: { tools: { listChanged: true } } });
 * // { capabilities: { tools: {} } }
 * ```
 */
export function withoutSessionCapabilities(
  result: Record<string, unknown>,
): Record<string, unknown> {
  const capabilities = asPlainObject(result.capabilities);
  if (capabilities === undefined) return result;
  const trimmed: Record<string, unknown> = { ...capabilities };
  for (const kind of ["tools", "resources", "prompts"]) {
    const entry = asPlainObject(trimmed[kind]);
    if (entry === undefined) continue;
    const { listChanged: _listChanged, subscribe: _subscribe, ...rest } = entry;
    trimmed[kind] = rest;
  }
  return { ...result, capabilities: trimmed };
}
