/**
 * One 2026-07-28 request to an HTTP upstream and its answer: the envelope in
 * `_meta`, the routing headers (`Mcp-Method`, `Mcp-Name`), and the response
 * read as JSON or as an SSE stream whose notifications go to `onNotification`
 * until the answer arrives. Stateless: no session, no resumption. It does not
 * bound sizes or follow redirects (the endpoint's fetch does: upstream_fetch.ts)
 * and does not run `input_required` rounds (modern_rounds.ts does).
 * @module
 */

import type { JsonRpcNotification, RequestId } from "../../jsonrpc/messages.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import { ENVELOPE_KEYS } from "../../jsonrpc/modern_claim.ts";
import { FIRST_MODERN_PROTOCOL_VERSION } from "../../protocol/eras.ts";
import { headerValue } from "../../protocol/header_value.ts";
import type { ClientCapabilities } from "../../protocol/types.ts";

/** The gateway as a client, named in every request it sends upstream. */
const CLIENT_INFO = { name: "tether-gateway", version: "1.0.0" };

/** The param naming the target of the methods that have one (`Mcp-Name`). */
const TARGET_OF: Record<string, string> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId",
};

/** Sends one POST to the upstream (credentials and the bounded fetch are the endpoint's). */
export type ModernPost = (
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
) => Promise<Response>;

/** One request as the gateway sends it upstream. */
export interface ModernRequest {
  id: RequestId;
  method: string;
  params: Record<string, unknown>;
  /** The capabilities the gateway declares for this request (the caller's, mirrored). */
  capabilities: ClientCapabilities;
  /** The log level asked for; undefined: no log messages. */
  logLevel?: string;
}

/** The upstream's answer: a JSON-RPC response with the request's id. */
export type ModernAnswer =
  | { id: RequestId; result: Record<string, unknown> }
  | { id: RequestId; error: { code: number; message: string; data?: unknown } };

/** The body and headers of `request` on the 2026-07-28 wire. */
export function modernMessage(
  request: ModernRequest,
): { body: string; headers: Record<string, string> } {
  const meta = isPlainObject(request.params._meta) ? request.params._meta : {};
  const params = {
    ...request.params,
    _meta: {
      ...meta,
      [ENVELOPE_KEYS.protocolVersion]: FIRST_MODERN_PROTOCOL_VERSION,
      [ENVELOPE_KEYS.clientCapabilities]: request.capabilities,
      [ENVELOPE_KEYS.clientInfo]: CLIENT_INFO,
      ...(request.logLevel === undefined ? {} : { [ENVELOPE_KEYS.logLevel]: request.logLevel }),
    },
  };
  const headers: Record<string, string> = {
    "accept": "application/json, text/event-stream",
    "content-type": "application/json",
    "mcp-protocol-version": FIRST_MODERN_PROTOCOL_VERSION,
    "mcp-method": request.method,
  };
  const key = TARGET_OF[request.method];
  const target = key === undefined ? undefined : request.params[key];
  if (typeof target === "string") headers["mcp-name"] = headerValue(target);
  const message = { jsonrpc: "2.0", id: request.id, method: request.method, params };
  return { body: JSON.stringify(message), headers };
}

/** Thrown when the upstream's answer is not a 2026-07-28 JSON-RPC answer (worded by upstream_failure.ts). */
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
 * ```ts ignore (internal: needs the upstream endpoint's post function)
 * const answer = await exchangeModern(post, { id: 1, method: "tools/list", params: {}, capabilities: {} }, signal);
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
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r\n|\r|\n/)) !== -1) {
        // A CR at the end may be half of a CRLF: wait for the next chunk.
        if (buffer[end] === "\r" && end === buffer.length - 1) break;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(buffer[end] === "\r" && buffer[end + 1] === "\n" ? end + 2 : end + 1);
        if (line !== "") {
          if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
          continue;
        }
        if (data.length === 0) continue;
        const text = data.join("\n");
        data = [];
        let message: unknown;
        try {
          message = JSON.parse(text);
        } catch {
          continue;
        }
        if (onMessage(message)) return;
      }
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    void reader.cancel().catch(() => {});
  }
}
