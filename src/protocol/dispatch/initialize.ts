/**
 * `initialize`'s result (the negotiated revision, the capabilities, the
 * server's identity and instructions) and the capabilities each era
 * advertises: the core's plus those of the extensions it serves. It
 * creates no session (that is the transport's doing).
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { Extension } from "../definitions/extensions.ts";
import type { Implementation } from "../types.ts";
import { negotiateProtocolVersion } from "../versions.ts";

/** The result of an `initialize` with `params`; throws -32602 when they lack a version or capabilities. */
export function initializeResult(
  params: Record<string, unknown>,
  capabilities: Record<string, unknown>,
  info: Implementation,
  instructions: string | undefined,
): Record<string, unknown> {
  if (typeof params.protocolVersion !== "string") {
    throw new McpError(ErrorCode.InvalidParams, "initialize requires a string protocolVersion");
  }
  if (
    typeof params.capabilities !== "object" || params.capabilities === null ||
    Array.isArray(params.capabilities)
  ) {
    throw new McpError(ErrorCode.InvalidParams, "initialize requires a capabilities object");
  }
  const result: Record<string, unknown> = {
    protocolVersion: negotiateProtocolVersion(params.protocolVersion),
    capabilities,
    serverInfo: info,
  };
  if (instructions !== undefined) result.instructions = instructions;
  return result;
}

/** The core capabilities plus the `extensions` (and legacy capabilities) of those served in `era`. */
export function capabilitiesIn(
  core: Record<string, unknown>,
  extensions: readonly Extension[],
  era: "legacy" | "modern",
): Record<string, unknown> {
  const served = extensions.filter((extension) => (extension.eras ?? [era]).includes(era));
  if (served.length === 0) return core;
  const capabilities: Record<string, unknown> = { ...core };
  const entries: Record<string, unknown> = {};
  for (const extension of served) {
    entries[extension.id] = extension.settings ?? {};
    if (era === "legacy") Object.assign(capabilities, extension.legacyCapabilities);
  }
  capabilities.extensions = entries;
  return capabilities;
}
