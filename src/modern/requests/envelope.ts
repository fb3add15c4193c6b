/**
 * The per-request `_meta` envelope of 2026-07-28: every request names its
 * protocol version and the client's capabilities (and may name the client
 * and a log level). Nothing is remembered between requests, so this is the
 * whole client view of a modern request. This module reads and checks the
 * envelope and strips the reserved keys before handlers see the params; it
 * does not decide what a missing capability means (the pipeline does).
 * @module
 */

import {
  asPlainObject,
  type JsonRpcNotification,
  type JsonRpcRequest,
} from "../../jsonrpc/messages.ts";
import { ENVELOPE_KEYS } from "../../jsonrpc/modern_claim.ts";
import { isLoggingLevel } from "../../protocol/context/logging.ts";
import type { ClientCapabilities, Implementation } from "../../protocol/types.ts";
import type { LoggingLevel } from "../../protocol/context/logging.ts";

/** The reserved `_meta` keys of the envelope (the door reads the same, src/jsonrpc/modern_claim.ts). */
const META = ENVELOPE_KEYS;

const RESERVED_PREFIX = "io.modelcontextprotocol/";

/** What a modern request says about its client. */
export interface ModernEnvelope {
  /** The revision the request speaks (not yet checked against the supported list). */
  protocolVersion: string;
  /** The client's capabilities for this request (`{}` = none). */
  clientCapabilities: ClientCapabilities;
  /** The client's name and version, when sent. */
  clientInfo?: Implementation;
  /** The least severe log level the client wants; undefined = no log messages. */
  logLevel?: LoggingLevel;
}

/** Reads and checks the envelope; the message names what is missing or malformed. */
export function readEnvelope(
  request: JsonRpcRequest,
): { ok: true; envelope: ModernEnvelope } | { ok: false; message: string } {
  const meta = asPlainObject(asPlainObject(request.params)?._meta);
  if (meta === undefined) {
    return {
      ok: false,
      message:
        `Invalid params: _meta with ${META.protocolVersion} and ${META.clientCapabilities} is required`,
    };
  }
  const protocolVersion = meta[META.protocolVersion];
  const versionMissing = typeof protocolVersion !== "string" || protocolVersion === "";
  const clientCapabilities = asPlainObject(meta[META.clientCapabilities]);
  if (versionMissing || clientCapabilities === undefined) {
    // Built only when something is missing: no array for every request that carries both.
    const missing: string[] = [];
    if (versionMissing) missing.push(META.protocolVersion);
    if (clientCapabilities === undefined) missing.push(META.clientCapabilities);
    return { ok: false, message: `Invalid params: _meta must carry ${missing.join(" and ")}` };
  }
  const envelope: ModernEnvelope = {
    protocolVersion: protocolVersion as string,
    clientCapabilities: clientCapabilities!,
  };
  if (Object.hasOwn(meta, META.clientInfo)) {
    const info = asPlainObject(meta[META.clientInfo]);
    if (info === undefined || typeof info.name !== "string" || typeof info.version !== "string") {
      return { ok: false, message: `Invalid params: ${META.clientInfo} must be { name, version }` };
    }
    envelope.clientInfo = info as Implementation;
  }
  if (Object.hasOwn(meta, META.logLevel)) {
    const level = meta[META.logLevel];
    if (!isLoggingLevel(level)) {
      return { ok: false, message: `Invalid params: ${META.logLevel} is not a logging level` };
    }
    envelope.logLevel = level;
  }
  return { ok: true, envelope };
}

/**
 * The request as handlers see it: `_meta` without the reserved envelope
 * keys (progress tokens, trace context and unknown keys stay).
 */
export function withoutEnvelope<M extends JsonRpcRequest | JsonRpcNotification>(request: M): M {
  const params = request.params;
  const meta = asPlainObject(params?._meta);
  if (params === undefined || meta === undefined) return request;
  // Copied, never assigned key by key: assigning a client's `__proto__` key would set the object's prototype.
  const { _meta: _, ...rest } = params;
  let others = false;
  for (const key in meta) {
    if (!key.startsWith(RESERVED_PREFIX)) {
      others = true;
      break;
    }
  }
  if (!others) return { ...request, params: rest };
  const kept = Object.fromEntries(
    Object.entries(meta).filter(([key]) => !key.startsWith(RESERVED_PREFIX)),
  );
  return { ...request, params: { ...rest, _meta: kept } };
}
