/**
 * Decides once, at the entry, which protocol era a POSTed body belongs to,
 * from the body first and the headers as a cross-check:
 *
 * 1. a `_meta` protocol-version claim → modern, whatever its value;
 * 2. `initialize` → legacy (even with a 2026 `MCP-Protocol-Version` header,
 *    so a client that probed 2026 and falls back gets in);
 * 3. no claim but a modern `MCP-Protocol-Version` header → a request is
 *    refused (`-32602`: the envelope is missing), a notification is modern;
 * 4. anything else → legacy.
 *
 * A batch is legacy unless one of its messages claims the modern era, which
 * is refused: 2026-07-28 has no batches. Nothing here looks at sessions.
 * @module
 */

import { type Refusal, refuse } from "../http/refusal.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import type { ClassifiedMessage } from "../jsonrpc/messages.ts";
import { isModernProtocolVersion, type ProtocolEra } from "../protocol/eras.ts";
import { ENVELOPE_KEYS as META, hasModernClaim } from "../jsonrpc/modern_claim.ts";

/**
 * The era of a POST whose messages are `messages` (raw values alongside,
 * to look for the claim), or the refusal of a body no era accepts.
 */
export function classifyPost(
  versionHeader: string | null,
  values: readonly unknown[],
  messages: readonly ClassifiedMessage[],
  isBatch: boolean,
): ProtocolEra | Refusal {
  const claims = values.some(hasModernClaim);
  if (isBatch) {
    return claims
      ? refuse(400, "Invalid Request: batches are not allowed in protocol version 2026-07-28", {
        step: "era",
      })
      : "legacy";
  }
  if (claims) return "modern";
  const only = messages[0];
  if (only.kind === "request" && only.message.method === "initialize") return "legacy";
  const header = versionHeader?.trim();
  if (header !== undefined && isModernProtocolVersion(header)) {
    if (only.kind !== "request") return "modern";
    return refuse(
      400,
      `Invalid params: _meta must carry ${META.protocolVersion} and ${META.clientCapabilities}`,
      {
        code: ErrorCode.InvalidParams,
        id: only.message.id,
        step: "era",
      },
    );
  }
  return "legacy";
}

/** True when a GET or DELETE names a modern version (those methods do not exist in that era). */
export function namesModernVersion(headers: Headers): boolean {
  const header = headers.get("mcp-protocol-version")?.trim();
  return header !== undefined && isModernProtocolVersion(header);
}
