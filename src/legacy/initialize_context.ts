/**
 * The request context `initialize` runs with: no session exists yet, so
 * nothing can be streamed, subscribed or logged, and nothing cancels it.
 * @module
 */

import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import type { Principal, RequestContext } from "../protocol/context.ts";

/** A signal nothing aborts: `initialize` is answered at once. */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** The context of an `initialize` request from `principal`. */
export function initializeContext(principal: Principal): RequestContext {
  const refuse = () =>
    Promise.reject(new McpError(ErrorCode.InvalidRequest, "Not available during initialize"));
  return {
    protocolVersion: "",
    clientCapabilities: {},
    principal,
    signal: NEVER_ABORTED,
    notify: () => Promise.resolve(),
    setLogLevel: refuse,
    subscribe: refuse,
    unsubscribe: refuse,
  };
}
