/**
 * Reading a POST into JSON-RPC messages, as pure steps: the Accept and
 * Content-Type checks ({@linkcode checkPostHeaders}), then, from the body
 * read's result, {@linkcode readPostMessages}: JSON with a depth limit →
 * batch size → each message's shape → id sizes and unsafe integers → the
 * single request's id. Each step refuses with a {@linkcode Refusal}.
 * It does not read the body (the caller hands over `readBodyText`'s result),
 * classify the era, or look at sessions or principals.
 * @module
 */

import { checkContentType, checkPostAccept } from "../http/guards.ts";
import { parseJsonWithDepthLimit } from "../http/body/parse_json.ts";
import type { BodyResult } from "../http/body/read_body.ts";
import { type Refusal, refuse } from "../http/refusal.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import {
  asPlainObject,
  type ClassifiedMessage,
  classifyMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
} from "../jsonrpc/messages.ts";
import { exceedsUtf8Bytes } from "../jsonrpc/utf8_length.ts";
import type { ResolvedOptions } from "../config/resolve.ts";
import { closingRefusal } from "./shutdown.ts";

/** A 2025-03-26 batch runs its requests concurrently: bound it so one body cannot start thousands of calls. */
export const MAX_BATCH_MESSAGES = 100;

/** The limits {@linkcode readPostMessages} applies (the handler's resolved `http` group). */
export type PostLimits = Pick<
  ResolvedOptions["http"],
  "maxBodyBytes" | "bodyTimeoutMs" | "maxJsonDepth" | "maxIdBytes"
>;

/** A POST body read into messages. */
export interface Post {
  /** The parsed values, one per message (the era's classification looks for a claim in them). */
  readonly values: readonly unknown[];
  /** Each message, checked as JSON-RPC 2.0. */
  readonly messages: readonly ClassifiedMessage[];
  /** True when the body was a JSON array. */
  readonly isBatch: boolean;
  /** True when at least one message is a request (replies and notifications start no work). */
  readonly startsWork: boolean;
  /** The id of the body's single request: errors about it carry it. Undefined for a batch, a notification or a reply. */
  readonly id: RequestId | undefined;
}

/**
 * The header checks of a POST, before its body is read: Accept (strict or
 * not), then Content-Type.
 *
 * @example
 * ```ts
 * import { checkPostHeaders } from "./read_post.ts";
 * const request = new Request("http://127.0.0.1/mcp", { method: "POST", headers: { "content-type": "text/plain" } });
 * checkPostHeaders(request, request.headers, false)?.status; // 415
 * ```
 */
export function checkPostHeaders(
  request: Request,
  headers: Headers,
  strictAccept: boolean,
): Refusal | undefined {
  return checkPostAccept(request, strictAccept, headers) ?? checkContentType(request, headers);
}

/**
 * The messages of a POST body, from the result of reading it, or the
 * refusal of the first step it fails.
 *
 * @example
 * ```ts
 * import { readPostMessages } from "./read_post.ts";
 * const limits = { maxBodyBytes: 1024, bodyTimeoutMs: 1000, maxJsonDepth: 8, maxIdBytes: 64 };
 * const post = readPostMessages({ ok: true, text: '{"jsonrpc":"2.0","id":1,"method":"ping"}' }, limits);
 * ```
 */
export function readPostMessages(body: BodyResult, limits: PostLimits): Post | Refusal {
  if (!body.ok) return bodyRefusal(body.failure, limits);
  const parsed = parseJsonWithDepthLimit(body.text, limits.maxJsonDepth);
  if (!parsed.ok) {
    const message = parsed.reason === "too-deep"
      ? `Parse error: JSON nested deeper than ${limits.maxJsonDepth} levels`
      : "Parse error: body is not valid JSON";
    return refuse(400, message, { code: ErrorCode.ParseError, step: "json" });
  }

  const isBatch = Array.isArray(parsed.value);
  const values: unknown[] = isBatch ? parsed.value as unknown[] : [parsed.value];
  if (values.length === 0) {
    return refuse(400, "Invalid Request: empty batch", { step: "jsonrpc" });
  }
  if (values.length > MAX_BATCH_MESSAGES) {
    return refuse(
      400,
      `Invalid Request: a batch may hold at most ${MAX_BATCH_MESSAGES} messages`,
      { step: "jsonrpc" },
    );
  }
  // Started as an array of one: `[]` then `push` allocates room for 17, for every single message.
  const first = classifyMessage(values[0]);
  if (first === undefined) return notJsonRpc(values[0], limits.maxIdBytes);
  const messages: ClassifiedMessage[] = [first];
  for (let i = 1; i < values.length; i++) {
    const classified = classifyMessage(values[i]);
    if (classified === undefined) return notJsonRpc(values[i], limits.maxIdBytes);
    messages.push(classified);
  }
  const oversized = checkIdSizes(messages, limits.maxIdBytes);
  if (oversized !== undefined) return oversized;
  return {
    values,
    messages,
    isBatch,
    startsWork: startsWork(messages),
    id: !isBatch && messages[0].kind === "request"
      ? (messages[0].message as JsonRpcRequest).id
      : undefined,
  };
}

/** The refusal of a value that is not a JSON-RPC 2.0 message, with its id when that is a valid one. */
function notJsonRpc(value: unknown, maxIdBytes: number): Refusal {
  const id = asPlainObject(value)?.id;
  // Only a valid id is echoed (a string within the size limit, or an integer a number holds
  // exactly): never 1.5, {}, megabytes or a rounded 2^53 + 1.
  const knownId = (typeof id === "string" && !exceedsUtf8Bytes(id, maxIdBytes)) ||
      Number.isSafeInteger(id)
    ? id as RequestId
    : null;
  return refuse(400, "Invalid Request: not a JSON-RPC 2.0 message", {
    id: knownId,
    step: "jsonrpc",
  });
}

/** True when one of `messages` is a request. A loop, not `some()`: no closure per POST. */
export function startsWork(messages: readonly ClassifiedMessage[]): boolean {
  for (const message of messages) if (message.kind === "request") return true;
  return false;
}

/** The refusal of a body that could not be read. */
function bodyRefusal(failure: Exclude<BodyResult, { ok: true }>["failure"], limits: PostLimits) {
  switch (failure) {
    case "too-large":
      return refuse(413, `Payload Too Large: the limit is ${limits.maxBodyBytes} bytes`, {
        step: "body",
      });
    case "timeout":
      return refuse(
        408,
        `Request Timeout: the body did not arrive within ${limits.bodyTimeoutMs} ms`,
        { step: "body" },
      );
    case "cancelled":
      return closingRefusal();
    case "invalid-utf8":
      return refuse(400, "Parse error: body is not valid UTF-8", {
        code: ErrorCode.ParseError,
        step: "body",
      });
    default:
      return refuse(400, "Bad Request: body could not be read", { step: "body" });
  }
}

/**
 * Request ids and progress tokens are echoed in every response and progress
 * event, kept while the request runs, and carried by the bus to the other
 * instances: bound them wherever they enter (requests, a client's replies,
 * the `requestId` of a cancellation, in both eras) so a client cannot make
 * each event of a stream, or each bus entry, carry megabytes. No id this
 * server holds or issued is longer, so nothing legitimate is refused.
 * The oversized id is not echoed.
 * An integer beyond ±(2^53 − 1) was rounded by JSON.parse: echoing it would
 * answer another id, and reading the exact digits costs every request (V8's
 * reviver `context.source` is not on every runtime), so it is refused.
 */
function checkIdSizes(
  messages: readonly ClassifiedMessage[],
  maxIdBytes: number,
): Refusal | undefined {
  for (const { kind, message } of messages) {
    if (kind === "notification") {
      const { method, params } = message as JsonRpcNotification;
      const target = method === "notifications/cancelled" ? params?.requestId : undefined;
      if (typeof target === "string" && exceedsUtf8Bytes(target, maxIdBytes)) {
        return refuse(
          400,
          `Invalid params: requestId longer than ${maxIdBytes} bytes`,
          { id: null, code: ErrorCode.InvalidParams, step: "jsonrpc" },
        );
      }
      continue;
    }
    if (kind === "response") {
      const { id } = message as JsonRpcResponse;
      if (typeof id === "string" && exceedsUtf8Bytes(id, maxIdBytes)) {
        return refuse(400, `Invalid Request: response id longer than ${maxIdBytes} bytes`, {
          id: null,
          step: "jsonrpc",
        });
      }
      continue;
    }
    const { id } = message as JsonRpcRequest;
    if (typeof id === "string" && exceedsUtf8Bytes(id, maxIdBytes)) {
      return refuse(400, `Invalid Request: request id longer than ${maxIdBytes} bytes`, {
        id: null,
        step: "jsonrpc",
      });
    }
    if (typeof id === "number" && !Number.isSafeInteger(id)) {
      return refuse(
        400,
        "Invalid Request: a numeric request id must be an integer from -(2^53 - 1) to 2^53 - 1",
        { id: null, step: "jsonrpc" },
      );
    }
    const token = asPlainObject((message as JsonRpcRequest).params?._meta)?.progressToken;
    if (typeof token === "string" && exceedsUtf8Bytes(token, maxIdBytes)) {
      return refuse(400, `Invalid params: progress token longer than ${maxIdBytes} bytes`, {
        id,
        code: ErrorCode.InvalidParams,
        step: "jsonrpc",
      });
    }
  }
  return undefined;
}
