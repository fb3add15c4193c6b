/**
 * Stream ids: a listening stream's (`listen.<unique>`), and those of request
 * streams that name the request they answer, so that a resume can still
 * answer it (with an error) after the event log dropped the answer or the
 * whole stream: `<base>.<session tag>.<kind><id>`, kind `n` for a
 * number id (decimal) and `s` for a string id (base64url of its UTF-8). The
 * session tag (a hash of the session id, base 36) confines the name to its
 * session: another session's event id names nothing. Only a stream answering
 * one request whose id encodes in {@linkcode MAX_ENCODED_ID} characters or
 * fewer carries it; any other stream id is just `<base>`. A client sees the
 * ids only inside event ids, which it treats as opaque.
 * @module
 */

import type { JsonRpcMessage, RequestId } from "../../jsonrpc/messages.ts";
import { decodeBase64Url, encodeBase64Url } from "../../protocol/base64.ts";

/**
 * The stream-id prefix of a session's listening (GET) streams: each GET
 * without `Last-Event-ID` opens a new one, `listen.<unique>`.
 *
 * @example
 * ```ts
 * import { LISTENING_STREAM_ID } from "./request_stream_id.ts";
 * const streamId = `${LISTENING_STREAM_ID}.1f2e3d4c7`;
 * ```
 */
export const LISTENING_STREAM_ID = "listen";

/**
 * True when `streamId` names a listening stream (any generation, or the
 * unsuffixed id of earlier versions).
 *
 * @example
 * ```ts
 * import { isListeningStreamId } from "./request_stream_id.ts";
 * isListeningStreamId("listen.1f2e3d4c7"); // true
 * isListeningStreamId("1f2e3d4c7"); // false
 * ```
 */
export function isListeningStreamId(streamId: string): boolean {
  return streamId === LISTENING_STREAM_ID || streamId.startsWith(`${LISTENING_STREAM_ID}.`);
}

/** The longest encoded request id a stream id carries (`n`/`s` and the id). */
export const MAX_ENCODED_ID = 48;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The id of a stream of session `sessionId` answering `requestIds`: `base`
 * alone unless it answers exactly one request whose id encodes short enough.
 *
 * @example
 * ```ts
 * import { requestIdOfStream, requestStreamId } from "./request_stream_id.ts";
 * const streamId = requestStreamId("1f2e3d4c7", "session-a", [42]); // "1f2e3d4c7.<tag>.n42"
 * requestIdOfStream(streamId, "session-a"); // 42
 * requestIdOfStream(streamId, "session-b"); // undefined
 * requestStreamId("1f2e3d4c7", "session-a", [1, 2]); // "1f2e3d4c7"
 * ```
 */
export function requestStreamId(
  base: string,
  sessionId: string,
  requestIds: readonly RequestId[],
): string {
  if (requestIds.length !== 1) return base;
  const id = requestIds[0];
  if (typeof id === "number") {
    return Number.isSafeInteger(id) ? `${base}.${sessionTag(sessionId)}.n${id}` : base;
  }
  // Empty, or too long whatever its UTF-8 (at most 3 bytes a UTF-16 unit, 4 base64 characters a 3).
  if (id.length === 0 || id.length * 4 > MAX_ENCODED_ID * 3) return base;
  const encoded = `s${encodeBase64Url(encoder.encode(id))}`;
  return encoded.length > MAX_ENCODED_ID ? base : `${base}.${sessionTag(sessionId)}.${encoded}`;
}

/**
 * The id of a stream of session `sessionId` written whole with `messages`:
 * named after the request when it carries one response (see
 * {@linkcode requestStreamId}).
 *
 * @example
 * ```ts
 * import { answerStreamId } from "./request_stream_id.ts";
 * answerStreamId("1f2e3d4c7", "s", [{ jsonrpc: "2.0", id: 7, result: {} }]); // "1f2e3d4c7.<tag>.n7"
 * ```
 */
export function answerStreamId(
  base: string,
  sessionId: string,
  messages: readonly JsonRpcMessage[],
): string {
  const id = messages.length === 1 ? (messages[0] as { id?: RequestId | null }).id : undefined;
  return id === undefined || id === null ? base : requestStreamId(base, sessionId, [id]);
}

/**
 * The request a stream id names in session `sessionId` (see
 * {@linkcode requestStreamId}), or undefined: a listening stream, a stream
 * that names none, another session's stream, or a malformed id.
 *
 * @example
 * ```ts
 * import { requestIdOfStream } from "./request_stream_id.ts";
 * requestIdOfStream("1f2e3d4c7", "session-a"); // undefined: names no request
 * ```
 */
export function requestIdOfStream(streamId: string, sessionId: string): RequestId | undefined {
  const dot = streamId.lastIndexOf(".");
  if (dot <= 0 || isListeningStreamId(streamId)) return undefined;
  const tagged = streamId.lastIndexOf(".", dot - 1);
  if (tagged <= 0 || streamId.slice(tagged + 1, dot) !== sessionTag(sessionId)) return undefined;
  const kind = streamId[dot + 1];
  const encoded = streamId.slice(dot + 2);
  if (encoded.length === 0 || encoded.length >= MAX_ENCODED_ID) return undefined;
  if (kind === "n") {
    if (!/^-?\d+$/.test(encoded)) return undefined;
    const id = Number(encoded);
    return Number.isSafeInteger(id) && String(id) === encoded ? id : undefined;
  }
  const bytes = kind === "s" ? decodeBase64Url(encoded) : undefined;
  if (bytes === undefined) return undefined;
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined; // not UTF-8
  }
}

/** A short tag of the session id (32-bit FNV-1a, base 36): not a secret, a scope. */
function sessionTag(sessionId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) {
    hash = Math.imul(hash ^ sessionId.charCodeAt(i), 0x01000193);
  }
  return (hash >>> 0).toString(36);
}
