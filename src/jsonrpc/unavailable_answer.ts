/**
 * A JSON-RPC error that stands for a storage failure (a store the request needs cannot be
 * reached): the dispatcher answers it as `-32603` "Service Unavailable: …" and marks the
 * answer, so a transport that answers it alone as a JSON body sends `503` with `Retry-After`,
 * as every other storage failure is answered; inside a batch or a stream already open it stays
 * that JSON-RPC error. The mark is a weak entry on the answer's `error` object (which a copy of
 * the answer keeps): nothing is added to the answer's shape.
 * @module
 */

import { ErrorCode, McpError } from "./error_codes.ts";

/** Answers that stand for a storage failure, with the `Retry-After` (seconds) their 503 carries. */
const UNAVAILABLE = new WeakMap<object, number>();

/**
 * Thrown by a method whose store cannot be reached: `-32603` "Service Unavailable: `what`",
 * answered `503` + `Retry-After` when it is the whole answer.
 *
 * @example
 * ```ts
 * import { ServiceUnavailableError } from "./unavailable_answer.ts";
 * const error = new ServiceUnavailableError("task storage is unreachable", 1);
 * error.message; // "Service Unavailable: task storage is unreachable"
 * ```
 */
export class ServiceUnavailableError extends McpError {
  /** Seconds a client should wait before it retries. */
  readonly retryAfterSeconds: number;

  /** The error for `what` being unreachable, retried after `retryAfterSeconds` (default 1). */
  constructor(what: string, retryAfterSeconds = 1) {
    super(ErrorCode.InternalError, `Service Unavailable: ${what}`);
    this.name = "ServiceUnavailableError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Marks `answer` (the error response for a {@linkcode ServiceUnavailableError}) and returns it.
 *
 * @example
 * ```ts
 * import { markUnavailable, unavailableRetryAfter } from "./unavailable_answer.ts";
 * const answer = markUnavailable({ jsonrpc: "2.0", id: 1, error: { code: -32603, message: "x" } }, 2);
 * unavailableRetryAfter(answer); // 2
 * ```
 */
export function markUnavailable<T extends { error?: object }>(
  answer: T,
  retryAfterSeconds: number,
): T {
  if (answer.error !== undefined) UNAVAILABLE.set(answer.error, retryAfterSeconds);
  return answer;
}

/**
 * The `Retry-After` of an answer that stands for a storage failure, or undefined for any other
 * (one look in a weak map, made only for error answers by the callers).
 *
 * @example
 * ```ts
 * import { unavailableRetryAfter } from "./unavailable_answer.ts";
 * unavailableRetryAfter({ error: { code: -32603, message: "x" } }); // undefined
 * ```
 */
export function unavailableRetryAfter(answer: { error?: object }): number | undefined {
  return answer.error === undefined ? undefined : UNAVAILABLE.get(answer.error);
}
