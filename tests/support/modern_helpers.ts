/**
 * Helpers for in-process 2026-07-28 tests: a request as a conforming modern
 * client sends it (envelope in `_meta`, routing headers), and readers for
 * its JSON or SSE answer. Not a test file itself.
 * @module
 */

import type { McpHandler } from "../../mod.ts";
import { ACCEPT_BOTH, ENDPOINT, readAnswer, type RpcOutcome } from "../helpers.ts";

/** The modern revision. */
export const MODERN = "2026-07-28";

/** Options of {@linkcode modernRequest}. */
export interface ModernRequestOptions {
  id?: number | string;
  /** Client capabilities for this request. Default `{}`. */
  capabilities?: Record<string, unknown>;
  /** Extra `_meta` keys (logLevel, progressToken, ...), or `null` for no `_meta` at all. */
  meta?: Record<string, unknown> | null;
  /** Replaces the envelope's protocol version. */
  version?: string;
  /** Header overrides; `undefined` removes a default header. */
  headers?: Record<string, string | undefined>;
}

let nextId = 1;

/** The Mcp-Name value a conforming client sends for `method`. */
function nameOf(method: string, params: Record<string, unknown>): string | undefined {
  if (method === "tools/call" || method === "prompts/get") return params.name as string | undefined;
  if (method === "resources/read") return params.uri as string | undefined;
  // The tasks extension routes its methods by task id.
  if (method === "tasks/get" || method === "tasks/update" || method === "tasks/cancel") {
    return params.taskId as string | undefined;
  }
  return undefined;
}

/** A POST as a 2026-07-28 client sends it. */
export function modernRequest(
  method: string,
  params: Record<string, unknown> = {},
  options: ModernRequestOptions = {},
): Request {
  const version = options.version ?? MODERN;
  const meta = options.meta === null ? undefined : {
    "io.modelcontextprotocol/protocolVersion": version,
    "io.modelcontextprotocol/clientCapabilities": options.capabilities ?? {},
    "io.modelcontextprotocol/clientInfo": { name: "modern-test-client", version: "0.0.0" },
    ...options.meta,
  };
  const body = {
    jsonrpc: "2.0",
    id: options.id ?? nextId++,
    method,
    params: meta === undefined
      ? params
      : { ...params, _meta: { ...(params._meta as object), ...meta } },
  };
  const headers = new Headers({
    accept: ACCEPT_BOTH,
    "content-type": "application/json",
    "mcp-protocol-version": version,
    "mcp-method": method,
  });
  const name = nameOf(method, params);
  if (name !== undefined) headers.set("mcp-name", name);
  for (const [key, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) headers.delete(key);
    else headers.set(key, value);
  }
  return new Request(ENDPOINT, { method: "POST", headers, body: JSON.stringify(body) });
}

/** Sends a modern request and reads the whole answer. */
export async function modernRpc(
  handler: McpHandler,
  method: string,
  params: Record<string, unknown> = {},
  options: ModernRequestOptions = {},
): Promise<RpcOutcome> {
  return await readAnswer(await handler(modernRequest(method, params, options)));
}

/** A notification POST as a 2026-07-28 client sends it (envelope in `_meta`, routing headers). */
export function modernNotification(
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Request {
  const meta = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  return new Request(ENDPOINT, {
    method: "POST",
    headers: {
      accept: ACCEPT_BOTH,
      "content-type": "application/json",
      "mcp-protocol-version": MODERN,
      "mcp-method": method,
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: "2.0", method, params: { ...params, _meta: meta } }),
  });
}
