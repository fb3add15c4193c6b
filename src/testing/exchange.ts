/**
 * One HTTP exchange of the test client, for both eras: sends a request to
 * the handler and reads its answer, JSON or SSE, message by message, until
 * the response to the call arrives. On the way it captures progress and
 * messages, hands server→client requests to the era, drops the stream when
 * the test asks, and turns an abort into the era's cancellation. It does not
 * resume or retry; the era's client decides what an unanswered end means.
 * @module
 */

import type {
  JsonRpcMessage,
  JsonRpcRequest,
  JsonRpcResponse,
  RequestId,
} from "../jsonrpc/messages.ts";
import { McpClientError } from "./client_error.ts";
import type { CallOptions, ProgressUpdate } from "./client_types.ts";
import { readSseEvents } from "../client/sse_events.ts";

/** A fetch-style handler: what `createMcpHandler` returns, or any function of its shape. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** What a call has captured so far (kept across rounds and resumptions). */
export interface Capture {
  progress: ProgressUpdate[];
  messages: JsonRpcMessage[];
  lastEventId?: string;
}

/** What the era gives one exchange. */
export interface ExchangeHooks {
  /** The id of the request whose response ends the exchange; undefined = the first response. */
  id: RequestId | undefined;
  options: CallOptions;
  capture: Capture;
  /** Answers a server→client request seen on the stream. */
  onServerRequest(request: JsonRpcRequest): Promise<void>;
  /** Tells the server the call is cancelled (before the stream is dropped). */
  cancel(reason: unknown): Promise<void>;
}

/** How an exchange ended: with the response, or without it (the stream ended or was dropped). */
export interface ExchangeEnd {
  response?: JsonRpcResponse;
  /** True when the test dropped the stream (`disconnectAfter`). */
  dropped: boolean;
  /** The HTTP answer (its headers; the body is read). */
  http: Response;
}

function isResponse(message: JsonRpcMessage): message is JsonRpcResponse {
  return !("method" in message) && ("result" in message || "error" in message);
}

function isRequest(message: JsonRpcMessage): message is JsonRpcRequest {
  return "method" in message && "id" in message;
}

/** An HTTP refusal as the error to throw (the JSON-RPC error of its body when it has one). */
export async function refusal(response: Response): Promise<McpClientError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (body !== null && typeof body === "object" && typeof body.error?.code === "number") {
      return new McpClientError(response.status, body.error);
    }
  } catch {
    // Not JSON: the status and the start of the text say it.
  }
  return new McpClientError(response.status, undefined, text);
}

/** Records one message of the stream; true when it is the awaited response. */
async function take(
  message: JsonRpcMessage,
  eventId: string | undefined,
  hooks: ExchangeHooks,
): Promise<boolean> {
  if (isResponse(message)) return hooks.id === undefined || message.id === hooks.id;
  hooks.capture.messages.push(message);
  hooks.options.onMessage?.(message, eventId);
  if (isRequest(message)) await hooks.onServerRequest(message);
  else if (message.method === "notifications/progress") {
    const update = { ...message.params } as unknown as ProgressUpdate;
    delete (update as { _meta?: unknown })._meta;
    hooks.capture.progress.push(update);
    hooks.options.onProgress?.(update);
  }
  return false;
}

/**
 * Sends `request` and reads the answer until the awaited response; throws
 * {@linkcode McpClientError} on an HTTP refusal, and the signal's reason
 * when the call is cancelled.
 */
export async function exchange(
  handler: FetchHandler,
  request: Request,
  hooks: ExchangeHooks,
): Promise<ExchangeEnd> {
  const signal = hooks.options.signal;
  signal?.throwIfAborted();
  let cancelled: Promise<void> | undefined;
  let onAbort = () => {};
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => {
      cancelled ??= hooks.cancel(signal!.reason).catch(() => {});
      resolve("aborted");
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const answer = handler(request);
    const first = await Promise.race([answer, aborted]);
    if (first === "aborted") {
      await cancelled;
      answer.then((late) => late.body?.cancel().catch(() => {}), () => {});
      throw signal!.reason;
    }
    return await read(first, hooks, () => cancelled);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

async function read(
  response: Response,
  hooks: ExchangeHooks,
  cancelling: () => Promise<void> | undefined,
): Promise<ExchangeEnd> {
  if (response.status < 200 || response.status > 299) throw await refusal(response);
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("text/event-stream")) {
    const text = await response.text();
    if (hooks.options.signal?.aborted) {
      await cancelling();
      throw hooks.options.signal.reason;
    }
    if (text === "") return { dropped: false, http: response };
    const message = JSON.parse(text) as JsonRpcMessage;
    return (await take(message, undefined, hooks))
      ? { response: message as JsonRpcResponse, dropped: false, http: response }
      : { dropped: false, http: response };
  }
  const reader = response.body!.getReader();
  const signal = hooks.options.signal;
  const drop = () => void cancelling()?.finally(() => reader.cancel().catch(() => {}));
  signal?.addEventListener("abort", drop, { once: true });
  try {
    for await (const event of readSseEvents(reader)) {
      if (event.id !== undefined && event.id !== "") hooks.capture.lastEventId = event.id;
      if (event.data === undefined || event.data === "") continue;
      // Once cancelled, nothing more counts (a server may still answer what it was running).
      if (signal?.aborted) break;
      const message = JSON.parse(event.data) as JsonRpcMessage;
      if (await take(message, event.id, hooks)) {
        if (signal?.aborted) break;
        await reader.cancel().catch(() => {});
        return { response: message as JsonRpcResponse, dropped: false, http: response };
      }
      if (signal?.aborted) break;
      if (hooks.options.disconnectAfter?.(message) === true) {
        await reader.cancel().catch(() => {});
        return { dropped: true, http: response };
      }
    }
  } finally {
    signal?.removeEventListener("abort", drop);
  }
  if (signal?.aborted) {
    await cancelling();
    await reader.cancel().catch(() => {});
    throw signal.reason;
  }
  return { dropped: false, http: response };
}
