/**
 * The 2025 era's MCP-Protocol-Version check: a header naming a revision
 * this server does not serve is refused `400` on every method (absent: the
 * client is taken to speak 2025-03-26), except on `initialize`, which
 * negotiates the revision in its body. Used by the sessionful pipeline and
 * the stateless mode alike. The 2026-07-28 era reads its revision from each
 * request's body (src/modern/).
 * @module
 */

import { type Refusal, refuse } from "../http/refusal.ts";
import type { ClassifiedMessage } from "../jsonrpc/messages.ts";
import { isSupportedProtocolVersion } from "../protocol/versions.ts";
import { findInitialize } from "./exchange/post_shape.ts";

/**
 * A present but unsupported MCP-Protocol-Version → 400, on every method
 * (absent: assume 2025-03-26).
 *
 * @example
 * ```ts
 * import { checkProtocolVersion } from "./protocol_version.ts";
 * checkProtocolVersion("1999-01-01")?.status; // 400
 * ```
 */
export function checkProtocolVersion(versionHeader: string | null): Refusal | undefined {
  if (versionHeader !== null && !isSupportedProtocolVersion(versionHeader)) {
    return refuse(400, "Bad Request: unsupported MCP-Protocol-Version", {
      step: "protocol-version",
    });
  }
  return undefined;
}

/**
 * A 2025 POST's check before the entry authenticates it: its
 * MCP-Protocol-Version header, unless it carries `initialize` alone.
 *
 * @example
 * ```ts ignore (internal: the pipelines call it with a classified POST)
 * const refused = checkLegacyPost(messages, false, request.headers.get("mcp-protocol-version"));
 * ```
 */
export function checkLegacyPost(
  messages: readonly ClassifiedMessage[],
  isBatch: boolean,
  versionHeader: string | null,
): Refusal | undefined {
  // initialize negotiates the version in its body: a header (a client that probed 2026 first) does not refuse it.
  return isBatch || !findInitialize(messages) ? checkProtocolVersion(versionHeader) : undefined;
}
