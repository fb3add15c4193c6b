/**
 * Turns the handler's HTTP answer to one stdio line back into lines: each
 * message of a JSON body, each `data:` of an SSE body (as it streams), and,
 * for a request whose answer is not JSON-RPC (a plain-text 503, say), a
 * JSON-RPC error naming the status. It writes protocol messages only.
 * @module
 */

import { ErrorCode } from "../../jsonrpc/error_codes.ts";
import { errorResponse, isPlainObject, type RequestId } from "../../jsonrpc/messages.ts";

/** Where framed messages go: one call per message, the text without its newline. */
export type WriteLine = (line: string) => void;

/**
 * Awaited before a call's answer is written when a progress notification of
 * the same call was written just before it (at `writtenAt`, `Date.now()`):
 * the official SDK clients drop a progress notification they read in the
 * same chunk as the answer, so the answer must reach the client later.
 */
export type Pace = (writtenAt: number) => Promise<void>;

/**
 * Writes the messages of `response` (the answer to a POSTed line) as lines;
 * `id` is the request's id, or undefined for a notification or a reply.
 * Resolves when the body ends (an SSE body streams until then). Once
 * `cancelled()` is true the request's answer is not written (its
 * notifications still are): a cancelled request gets no response, and no
 * HTTP status of the cancelled exchange ever becomes a message.
 *
 * @example
 * ```ts
 * import { relayAnswer } from "./answers.ts";
 * const lines: string[] = [];
 * await relayAnswer(Response.json({ jsonrpc: "2.0", id: 1, result: {} }), 1, (l) => lines.push(l));
 * ```
 */
export async function relayAnswer(
  response: Response,
  id: RequestId | undefined,
  write: WriteLine,
  pace?: Pace,
  cancelled: () => boolean = never,
): Promise<void> {
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("text/event-stream") && response.body !== null) {
    await relaySse(response.body, write, pace, cancelled);
    return;
  }
  const text = (await response.text()).trim();
  if (cancelled()) return;
  if (text !== "" && type.includes("application/json") && isJson(text)) {
    write(text.includes("\n") ? JSON.stringify(JSON.parse(text)) : text);
    return;
  }
  if (id !== undefined && (response.status >= 400 || text !== "")) {
    write(JSON.stringify(errorResponse(
      id,
      ErrorCode.InternalError,
      `Internal error: the server answered HTTP ${response.status}`,
    )));
  }
}

/**
 * Writes each event's `data:` of an SSE body as one line, as the events
 * arrive; an answer that follows a progress notification waits for `pace`;
 * an answer is dropped once `cancelled()` is true.
 */
export async function relaySse(
  body: ReadableStream<Uint8Array>,
  write: WriteLine,
  pace?: Pace,
  cancelled: () => boolean = never,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  /** When the last line written was a progress notification, when it was written. */
  let progressAt: number | undefined;
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replaceAll("\r\n", "\n");
      let end: number;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\n").filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5)).join("\n");
        const message = data === "" ? undefined : parse(data);
        if (message === undefined) continue;
        if (isAnswer(message) && cancelled()) continue;
        if (progressAt !== undefined && pace !== undefined && isAnswer(message)) {
          await pace(progressAt);
          if (cancelled()) continue;
        }
        write(data.includes("\n") ? JSON.stringify(message) : data);
        progressAt = isProgress(message) ? Date.now() : undefined;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** The parsed JSON of `text`, or undefined when it is not JSON. */
function never(): boolean {
  return false;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isProgress(message: unknown): boolean {
  return isPlainObject(message) && message.method === "notifications/progress";
}

function isAnswer(message: unknown): boolean {
  return isPlainObject(message) && "id" in message && !("method" in message);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
