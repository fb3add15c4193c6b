/**
 * One 2026-07-28 request over HTTP and its answer: the envelope in `_meta`
 * (revision, client capabilities and info, log level), the routing headers
 * (`Mcp-Method`, `Mcp-Name`), and the response read as JSON or as an SSE
 * stream whose notifications go to `onNotification` until the answer
 * arrives; and the params that answer an `input_required` result. Stateless:
 * no session, no resumption. It does not bound sizes or follow redirects
 * (the caller's post does) and asks nobody for input (its caller does).
 * @module
 */

import type { JsonRpcNotification, RequestId } from "../jsonrpc/messages.ts";
import { isPlainObject } from "../jsonrpc/messages.ts";
import { ENVELOPE_KEYS } from "../jsonrpc/modern_claim.ts";
import { FIRST_MODERN_PROTOCOL_VERSION } from "../protocol/eras.ts";
import { headerValue } from "../protocol/header_value.ts";
import type { ClientCapabilities } from "../protocol/types.ts";
import { readSseEvents } from "./sse_events.ts";

/** The param naming the target of the methods that have one (`Mcp-Name`). */
const TARGET_OF: Record<string, string> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId",
};

/** Sends one POST (credentials, bounds and redirects are the caller's). */
export type ModernPost = (
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
) => Promise<Response>;

/** Who a client says it is (`clientInfo`). */
export interface ClientInfo {
  /** Its name. */
  name: string;
  /** Its version. */
  version: string;
}

/** One request as it is sent. */
export interface ModernRequest {
  id: RequestId;
  method: string;
  params: Record<string, unknown>;
  /** The capabilities declared for this request. */
  capabilities: ClientCapabilities;
  /** Who sends it. */
  clientInfo: ClientInfo;
  /** The log level asked for; undefined: no log messages. */
  logLevel?: string;
}

/** The answer: a JSON-RPC response with the request's id. */
export type ModernAnswer =
  | { id: RequestId; result: Record<string, unknown> }
  | { id: RequestId; error: { code: number; message: string; data?: unknown } };

/**
 * `meta` with the 2026-07-28 envelope written in: the revision, the
 * client's capabilities and info, and the log level when one is asked.
 *
 * @example
 * ```ts
 * import { modernEnvelope } from "./modern_request.ts";
 * const meta = modernEnvelope({}, { capabilities: {}, clientInfo: { name: "app", version: "1" } });
 * console.log(meta["io.modelcontextprotocol/protocolVersion"]); // 2026-07-28
 * ```
 */
export function modernEnvelope(
  meta: unknown,
  sender: { capabilities: ClientCapabilities; clientInfo: ClientInfo; logLevel?: string },
): Record<string, unknown> {
  return {
    ...(isPlainObject(meta) ? meta : {}),
    [ENVELOPE_KEYS.protocolVersion]: FIRST_MODERN_PROTOCOL_VERSION,
    [ENVELOPE_KEYS.clientCapabilities]: sender.capabilities,
    [ENVELOPE_KEYS.clientInfo]: sender.clientInfo,
    ...(sender.logLevel === undefined ? {} : { [ENVELOPE_KEYS.logLevel]: sender.logLevel }),
  };
}

/**
 * The headers of a 2026-07-28 POST of `method` with `params`: the media
 * types, the revision, `Mcp-Method`, and `Mcp-Name` for a method with a target.
 *
 * @example
 * ```ts
 * import { modernHeaders } from "./modern_request.ts";
 * console.log(modernHeaders("tools/call", { name: "echo" })["mcp-name"]); // echo
 * ```
 */
export function modernHeaders(
  method: string,
  params: Record<string, unknown>,
): Record<string, string> {
  const headers: Record<string, string> = {
    "accept": "application/json, text/event-stream",
    "content-type": "application/json",
    "mcp-protocol-version": FIRST_MODERN_PROTOCOL_VERSION,
    "mcp-method": method,
  };
  const key = TARGET_OF[method];
  const target = key === undefined ? undefined : params[key];
  if (typeof target === "string") headers["mcp-name"] = headerValue(target);
  return headers;
}

/**
 * The body and headers of `request` on the 2026-07-28 wire.
 *
 * @example
 * ```ts
 * import { modernMessage } from "./modern_request.ts";
 * const { body } = modernMessage({
 *   id: 1, method: "tools/list", params: {}, capabilities: {}, clientInfo: { name: "app", version: "1" },
 * });
 * console.log(JSON.parse(body).method); // tools/list
 * ```
 */
export function modernMessage(
  request: ModernRequest,
): { body: string; headers: Record<string, string> } {
  const params = { ...request.params, _meta: modernEnvelope(request.params._meta, request) };
  const message = { jsonrpc: "2.0", id: request.id, method: request.method, params };
  return { body: JSON.stringify(message), headers: modernHeaders(request.method, request.params) };
}

/**
 * The params retrying a request that was answered `input_required`
 * (`result`): the answers given, keyed as asked, and its `requestState`
 * echoed when it sent one.
 *
 * @example
 * ```ts
 * import { retryParams } from "./modern_request.ts";
 * console.log(retryParams({ requestState: "s" }, { name: { action: "accept" } }).requestState); // s
 * ```
 */
export function retryParams(
  result: Record<string, unknown>,
  inputResponses: Record<string, unknown>,
): Record<string, unknown> {
  return typeof result.requestState === "string"
    ? { inputResponses, requestState: result.requestState }
    : { inputResponses };
}

/** Thrown when an answer is not a 2026-07-28 JSON-RPC answer. */
export class NotAnAnswer extends Error {
  /** The HTTP status it came with. */
  readonly status: number;
  /** `what` went wrong, with HTTP `status`. */
  constructor(what: string, status: number) {
    super(what);
    this.name = "NotAnAnswer";
    this.status = status;
  }
}

/** The answer to `id` in `message`, if it is one. */
function answerOf(message: unknown, id: RequestId): ModernAnswer | undefined {
  if (!isPlainObject(message) || message.id !== id || "method" in message) return undefined;
  if (isPlainObject(message.result)) return { id, result: message.result };
  const error = message.error;
  if (isPlainObject(error) && typeof error.code === "number" && typeof error.message === "string") {
    return { id, error: { code: error.code, message: error.message, data: error.data } };
  }
  return undefined;
}

/**
 * Sends `request` through `post` and reads its answer: a JSON body, or the
 * SSE stream's notifications (to `onNotification`, requests on it ignored:
 * 2026-07-28 servers ask with `input_required`) up to the answer.
 *
 * @example
 * ```ts ignore (needs a server's post function)
 * const answer = await exchangeModern(post, { id: 1, method: "tools/list", params: {}, capabilities: {}, clientInfo }, signal);
 * ```
 */
export async function exchangeModern(
  post: ModernPost,
  request: ModernRequest,
  signal: AbortSignal,
  onNotification: (notification: JsonRpcNotification) => void = () => {},
): Promise<ModernAnswer> {
  const { body, headers } = modernMessage(request);
  const response = await post(body, headers, signal);
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("text/event-stream") && response.ok) {
    return await readStream(response, request.id, onNotification, signal);
  }
  if (!type.includes("application/json")) {
    await response.body?.cancel().catch(() => {});
    throw new NotAnAnswer(`HTTP ${response.status} without a JSON-RPC answer`, response.status);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await response.text());
  } catch {
    throw new NotAnAnswer("an answer that is not JSON", response.status);
  }
  const answer = answerOf(parsed, request.id);
  if (answer === undefined) throw new NotAnAnswer("no answer to the request", response.status);
  return answer;
}

/**
 * Reads an SSE body up to the answer to `id`; notifications before it go to `onNotification`.
 * `signal` cancels the body (see {@linkcode readEvents}) and is the failure when it aborts.
 */
async function readStream(
  response: Response,
  id: RequestId,
  onNotification: (notification: JsonRpcNotification) => void,
  signal: AbortSignal,
): Promise<ModernAnswer> {
  let answer: ModernAnswer | undefined;
  await readEvents(response.body!, (message) => {
    answer ??= answerOf(message, id);
    if (answer !== undefined) return true;
    if (isPlainObject(message) && typeof message.method === "string" && !("id" in message)) {
      onNotification(message as unknown as JsonRpcNotification);
    }
    return false;
  }, signal);
  if (answer === undefined && signal.aborted) throw signal.reason;
  if (answer === undefined) throw new NotAnAnswer("a stream that ended without the answer", 200);
  return answer;
}

/**
 * Reads the `data` of each SSE event of `body` as JSON and gives it to
 * `onMessage` until that returns true, the body ends, or `signal` aborts
 * (then the body is cancelled: on Deno, aborting a fetch does not end a
 * read already waiting on its body, and the connection stays open).
 * Events whose data is not JSON are skipped.
 *
 * @example
 * ```ts
 * import { readEvents } from "./modern_request.ts";
 * await readEvents(new Response("data: {}\n\n").body!, (message) => (console.log(message), true));
 * ```
 */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: unknown) => boolean,
  signal?: AbortSignal,
): Promise<void> {
  const reader = body.getReader();
  const stop = () => void reader.cancel(signal?.reason).catch(() => {});
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop, { once: true });
  try {
    for await (const event of readSseEvents(reader)) {
      if (event.data === undefined || event.data === "") continue;
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        continue;
      }
      if (onMessage(message)) return;
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    void reader.cancel().catch(() => {});
  }
}
