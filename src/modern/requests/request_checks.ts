/**
 * A 2026-07-28 request's own checks, in the spec's order, each returning a
 * refusal: `_meta` envelope (-32602) → MCP-Protocol-Version vs. claim
 * (-32020) → Mcp-Method vs. body (-32020) → supported version (-32022) →
 * required headers and Mcp-Name (-32020) → method exists (404, -32601) →
 * Mcp-Param-* (-32020). It reads the request and its headers only; it runs
 * nothing (pipeline.ts serves what passes).
 * @module
 */

import { type Refusal, refuse } from "../../http/refusal.ts";
import { echoInput } from "../../jsonrpc/echo.ts";
import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import type { JsonRpcRequest } from "../../jsonrpc/messages.ts";
import type { Dispatcher } from "../../protocol/dispatch/dispatcher.ts";
import type { Principal } from "../../protocol/context/principal.ts";
import { SUPPORTED_MODERN_PROTOCOL_VERSIONS } from "../../protocol/eras.ts";
import { type ModernEnvelope, readEnvelope } from "./envelope.ts";
import {
  checkNameHeader,
  checkParameterHeaders,
  methodHeaderMatches,
  NAMED_BY,
} from "./param_headers.ts";

/** Methods of the sessionful revisions that do not exist in 2026-07-28. */
const REMOVED_METHODS = new Set([
  "initialize",
  "ping",
  "logging/setLevel",
  "resources/subscribe",
  "resources/unsubscribe",
]);

/** The era's checks, in the spec's order; the envelope when every one passes. */
export function checkModernRequest(
  dispatcher: Dispatcher,
  headers: Headers,
  request: JsonRpcRequest,
  versionHeader: string | null,
  principal: Principal,
): { envelope: ModernEnvelope } | Refusal {
  const id = request.id;
  const read = readEnvelope(request);
  if (!read.ok) {
    return refuse(400, read.message, { code: ErrorCode.InvalidParams, id, step: "modern" });
  }
  const { envelope } = read;
  const headerVersion = versionHeader?.trim();
  if (headerVersion !== undefined && headerVersion !== envelope.protocolVersion) {
    return mismatch("MCP-Protocol-Version does not match _meta", id);
  }
  const methodHeader = headers.get("mcp-method");
  if (methodHeader !== null && !methodHeaderMatches(methodHeader, request.method)) {
    return mismatch("Mcp-Method does not match the body", id);
  }
  if (!SUPPORTED_MODERN_PROTOCOL_VERSIONS.includes(envelope.protocolVersion)) {
    return refuse(400, "Unsupported protocol version", {
      code: ErrorCode.UnsupportedProtocolVersion,
      id,
      step: "modern",
      data: {
        supported: [...SUPPORTED_MODERN_PROTOCOL_VERSIONS],
        requested: echoInput(envelope.protocolVersion),
      },
    });
  }
  if (headerVersion === undefined) return mismatch("MCP-Protocol-Version header is required", id);
  if (methodHeader === null) return mismatch("Mcp-Method header is required", id);
  const params = request.params ?? {};
  const nameKey = NAMED_BY.get(request.method) ?? dispatcher.nameParamOf(request.method);
  if (
    nameKey !== undefined && typeof params[nameKey] === "string" &&
    !checkNameHeader(headers, params[nameKey] as string).ok
  ) {
    return mismatch("Mcp-Name does not match the body", id);
  }
  const known = request.method === "server/discover" || request.method === "subscriptions/listen" ||
    (!REMOVED_METHODS.has(request.method) &&
      dispatcher.serves(request.method, envelope.protocolVersion));
  if (!known) {
    return refuse(404, "Method not found", { code: ErrorCode.MethodNotFound, id, step: "modern" });
  }
  if (request.method === "tools/call" && typeof params.name === "string") {
    // A view's renamed tool: its parameters are the tool's own.
    const viewed = dispatcher.viewed;
    const tool = viewed === undefined ? params.name : viewed.toolKey(principal, params.name);
    const parameters = tool === undefined ? undefined : dispatcher.tools.headerParameters(tool);
    const args = params.arguments;
    if (
      parameters !== undefined && parameters.length > 0 && typeof args === "object" &&
      args !== null && !Array.isArray(args)
    ) {
      const result = checkParameterHeaders(
        headers,
        parameters,
        args as Record<string, unknown>,
      );
      if (!result.ok) return mismatch(result.message, id);
    }
  }
  return { envelope };
}

function mismatch(message: string, id: JsonRpcRequest["id"]): Refusal {
  return refuse(400, `Header mismatch: ${message}`, {
    code: ErrorCode.HeaderMismatch,
    id,
    step: "modern",
  });
}
