/**
 * What a test client answers when the server asks it something (elicitation,
 * sampling, roots): the handlers a test gives, the capabilities they imply,
 * and one function that answers a request by its method. Both eras use it:
 * 2025 posts the answer back on the session, 2026-07-28 sends it in
 * `inputResponses`. It does not validate answers; the server does.
 * @module
 */

import type { ElicitParams, ElicitResult } from "../protocol/context/elicitation.ts";
import type { ClientCapabilities } from "../protocol/types.ts";

/** One root of the client, as `roots/list` answers it. */
export interface TestRoot {
  /** The root's URI (`file:///...`). */
  uri: string;
  /** A display name. */
  name?: string;
}

/**
 * How the test client answers the server's requests. A kind without a
 * handler is not declared in the capabilities (so the server does not ask).
 * When one is asked anyway, or a handler throws: in the 2025 era the server
 * gets a JSON-RPC error (-32601, or -32603 with the thrown message); in the
 * 2026 era, which has no error answers to input requests, the call rejects
 * with the thrown error.
 *
 * @example
 * ```ts
 * import type { ClientHandlers } from "@tether/mcp/testing";
 * const handlers: ClientHandlers = {
 *   elicitation: (params) => ({ action: "accept", content: { name: "Ada" } }),
 *   sampling: () => ({ role: "assistant", content: { type: "text", text: "4" }, model: "test" }),
 *   roots: [{ uri: "file:///work", name: "work" }],
 * };
 * ```
 */
export interface ClientHandlers {
  /** Answers `elicitation/create` (form and URL mode). */
  elicitation?: (params: ElicitParams) => ElicitResult | Promise<ElicitResult>;
  /** Answers `sampling/createMessage` with a `CreateMessageResult`. */
  sampling?: (
    params: Record<string, unknown>,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Answers `roots/list`: the roots, or a function returning them. */
  roots?: readonly TestRoot[] | (() => readonly TestRoot[] | Promise<readonly TestRoot[]>);
}

/**
 * The capabilities the handlers imply (elicitation in form and URL mode,
 * sampling, roots), merged under `extra` (which wins, key by key).
 *
 * @example
 * ```ts
 * import { capabilitiesOf } from "@tether/mcp/testing";
 * capabilitiesOf({ roots: [] }); // { roots: {} }
 * ```
 */
export function capabilitiesOf(
  handlers: ClientHandlers,
  extra: ClientCapabilities = {},
): ClientCapabilities {
  const capabilities: ClientCapabilities = {};
  if (handlers.elicitation !== undefined) capabilities.elicitation = { form: {}, url: {} };
  if (handlers.sampling !== undefined) capabilities.sampling = {};
  if (handlers.roots !== undefined) capabilities.roots = {};
  return { ...capabilities, ...extra };
}

/** A server request the handlers cannot answer: carries the JSON-RPC error to send back. */
export class UnansweredRequestError extends Error {
  /** The JSON-RPC error code to answer with. */
  readonly code: number;

  /** An error answered with `code` and `message`. */
  constructor(code: number, message: string) {
    super(message);
    this.name = "UnansweredRequestError";
    this.code = code;
  }
}

/**
 * Answers one server→client request with the handlers; throws an
 * {@linkcode UnansweredRequestError} (-32601) for a method without one.
 *
 * @example
 * ```ts
 * import { answerServerRequest } from "@tether/mcp/testing";
 * const result = await answerServerRequest({ roots: [{ uri: "file:///a" }] }, "roots/list", {});
 * console.log(result); // { roots: [{ uri: "file:///a" }] }
 * ```
 */
export async function answerServerRequest(
  handlers: ClientHandlers,
  method: string,
  params: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  if (method === "elicitation/create" && handlers.elicitation !== undefined) {
    return { ...await handlers.elicitation(params as ElicitParams) };
  }
  if (method === "sampling/createMessage" && handlers.sampling !== undefined) {
    return await handlers.sampling(params);
  }
  if (method === "roots/list" && handlers.roots !== undefined) {
    const roots = typeof handlers.roots === "function" ? await handlers.roots() : handlers.roots;
    return { roots: [...roots] };
  }
  throw new UnansweredRequestError(-32601, `The test client has no handler for ${method}`);
}
