/**
 * The routing headers of 2026-07-28 (SEP-2243): `Mcp-Method` names the body's
 * method, `Mcp-Name` its target (tool or prompt name, resource URI), and
 * `Mcp-Param-{Name}` each tool argument whose input schema marks it with
 * `x-mcp-header`, so proxies can route without reading bodies. The server
 * checks that the headers agree with the body. Values that are not
 * header-safe travel as `=?base64?<RFC 4648 base64 of UTF-8>?=`; the payload
 * must be canonical (padded, no stray characters) and valid UTF-8. This
 * module decodes and compares; it does not decide the HTTP answer.
 * @module
 */

import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { HeaderParameter } from "../../protocol/schema/header_parameters.ts";

/** The outcome of a header check; the message never echoes header values. */
export type HeaderCheck = { ok: true } | { ok: false; message: string };

const PASSED: HeaderCheck = { ok: true };

/**
 * The methods whose target is named (a tool, a prompt, a resource), with the
 * param naming it: `Mcp-Name` must carry it, and these are the methods that
 * may answer `input_required`.
 */
export const NAMED_BY: ReadonlyMap<string, string> = new Map([
  ["tools/call", "name"],
  ["prompts/get", "name"],
  ["resources/read", "uri"],
]);

/** True when `value` already is its own trimmed, decoded form (no edge blank, no base64 wrapper). */
function isPlain(value: string): boolean {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return value.length > 0 && first !== 0x20 && first !== 0x09 && last !== 0x20 &&
    last !== 0x09 && !value.startsWith(PREFIX);
}

const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const PREFIX = "=?base64?";
const SUFFIX = "?=";

/**
 * Decodes a routing header value: optional whitespace trimmed, the base64
 * form decoded strictly, anything else taken literally.
 *
 * @example
 * ```ts
 * import { decodeHeaderValue } from "./param_headers.ts";
 * decodeHeaderValue("=?base64?SGVsbG8=?="); // { ok: true, value: "Hello" }
 * decodeHeaderValue("=?base64?SGVsbG8?="); // { ok: false }: not canonical
 * ```
 */
export function decodeHeaderValue(raw: string): { ok: true; value: string } | { ok: false } {
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, "");
  if (
    !value.startsWith(PREFIX) || !value.endsWith(SUFFIX) ||
    value.length < PREFIX.length + SUFFIX.length
  ) {
    return { ok: true, value };
  }
  const payload = value.slice(PREFIX.length, value.length - SUFFIX.length);
  if (!CANONICAL_BASE64.test(payload)) return { ok: false };
  try {
    const binary = atob(payload);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return { ok: true, value: strictUtf8.decode(bytes) };
  } catch {
    return { ok: false };
  }
}

function valueAt(args: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = args;
  for (const key of path) {
    if (!isPlainObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** True when the decoded header text stands for the body value of a parameter of `type`. */
function sameValue(type: HeaderParameter["type"], text: string, body: unknown): boolean {
  switch (type) {
    case "string":
      return typeof body === "string" && text === body;
    case "integer":
      return /^-?\d+$/.test(text) && typeof body === "number" && Number(text) === body;
    case "boolean":
      return (text === "true" && body === true) || (text === "false" && body === false);
  }
}

/**
 * Checks the `Mcp-Param-*` headers of a `tools/call`: every routed argument
 * present in the body (and not null) needs its header, with the same value
 * (integers compared as numbers, booleans as `true`/`false`).
 */
export function checkParameterHeaders(
  headers: Headers,
  parameters: readonly HeaderParameter[],
  args: Record<string, unknown>,
): HeaderCheck {
  for (const parameter of parameters) {
    const body = valueAt(args, parameter.path);
    if (body === undefined || body === null) continue;
    const raw = headers.get(parameter.header);
    if (raw === null) return { ok: false, message: `${parameter.header} header is required` };
    const decoded = decodeHeaderValue(raw);
    if (!decoded.ok) return { ok: false, message: `${parameter.header} is not valid base64 UTF-8` };
    if (!sameValue(parameter.type, decoded.value, body)) {
      return { ok: false, message: `${parameter.header} does not match the body` };
    }
  }
  return { ok: true };
}

/** Checks `Mcp-Name` against the body's tool name, prompt name or resource URI. */
export function checkNameHeader(headers: Headers, expected: string): HeaderCheck {
  const raw = headers.get("mcp-name");
  if (raw === null) return { ok: false, message: "Mcp-Name header is required" };
  if (raw === expected && isPlain(raw)) return PASSED;
  const decoded = decodeHeaderValue(raw);
  if (!decoded.ok || decoded.value !== expected) {
    return { ok: false, message: "Mcp-Name does not match the body" };
  }
  return { ok: true };
}

/**
 * Whether an `Mcp-Method` value names the body's method: byte-exact
 * (case-sensitive) once spaces and tabs around it are trimmed. The pipeline
 * reads the header itself, since a missing one is refused later than a
 * mismatched one.
 *
 * @example
 * ```ts
 * import { methodHeaderMatches } from "./param_headers.ts";
 * methodHeaderMatches(" tools/list", "tools/list"); // true
 * methodHeaderMatches("TOOLS/LIST", "tools/list"); // false
 * ```
 */
export function methodHeaderMatches(raw: string, method: string): boolean {
  if (raw === method && isPlain(raw)) return true;
  return raw.replace(/^[ \t]+|[ \t]+$/g, "") === method;
}
