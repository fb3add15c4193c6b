/**
 * The answers of a handler that serves one era only to traffic of the
 * other: a legacy-only handler sends dual-era clients to `initialize`; a
 * modern-only one answers as a 2026-07-28 server must. Pure: each returns
 * a refusal (or a 202) and reads nothing but its arguments.
 * @module
 */

import { type Refusal, refuse } from "../http/refusal.ts";
import { accepted } from "../http/responses.ts";
import { echoInput } from "../jsonrpc/echo.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import type { ClassifiedMessage, JsonRpcRequest } from "../jsonrpc/messages.ts";
import { SUPPORTED_MODERN_PROTOCOL_VERSIONS } from "../protocol/eras.ts";

/** A legacy-only handler answers modern requests so that dual-era clients fall back to `initialize`. */
export function legacyOnly(): Refusal {
  return refuse(404, "Method not found: this server speaks the 2025 revisions; use initialize", {
    code: ErrorCode.MethodNotFound,
    step: "era",
  });
}

/** A modern-only handler answers legacy traffic as a 2026-07-28 server must. */
export function modernOnly(
  request: Request,
  messages: readonly ClassifiedMessage[],
  isBatch: boolean,
): Response | Refusal {
  if (isBatch) {
    return refuse(400, "Invalid Request: JSON-RPC batches are not supported by this endpoint", {
      step: "era",
    });
  }
  const only = messages[0];
  if (only.kind === "notification") return accepted();
  if (only.kind === "response") {
    return refuse(400, "Invalid Request: JSON-RPC responses cannot be posted to this endpoint", {
      step: "era",
    });
  }
  const params = (only.message as JsonRpcRequest).params ?? {};
  const requested =
    only.message.method === "initialize" && typeof params.protocolVersion === "string"
      ? params.protocolVersion
      : request.headers.get("mcp-protocol-version") ?? undefined;
  return refuse(400, "Unsupported protocol version: this server speaks 2026-07-28", {
    code: ErrorCode.UnsupportedProtocolVersion,
    step: "era",
    data: requested === undefined
      ? { supported: [...SUPPORTED_MODERN_PROTOCOL_VERSIONS] }
      : { supported: [...SUPPORTED_MODERN_PROTOCOL_VERSIONS], requested: echoInput(requested) },
  });
}
