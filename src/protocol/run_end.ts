/**
 * A running request's continuation: where the response of a method still
 * running when {@linkcode Dispatcher.handle} returns goes, handed on in one
 * `then` (the dispatcher's, or for `tools/call` the tool's own promise's)
 * rather than one per layer, so a call held open (an idle stream) keeps one
 * continuation (issue 46). It runs nothing and knows no transport.
 * @module
 */

import type { JsonRpcResponse, RequestId } from "../jsonrpc/messages.ts";
import { resultResponse } from "../jsonrpc/messages.ts";
import { isPromiseLike } from "./maybe_async.ts";
import type { CallToolResult } from "./types.ts";

/** What a running request's response goes to ({@linkcode Dispatcher.handle}'s `end`). */
export interface RunEnd<T> {
  /**
   * The request's response once its method settled (the promise resolves to
   * what this returns); undefined when answering failed (`onError` threw):
   * the promise then rejects with that.
   */
  responded(response: JsonRpcResponse | undefined): T;
}

/** How the dispatcher answers a method's throw (it may throw: `onError` did). */
export type AnswerFailure = (id: RequestId, error: unknown) => JsonRpcResponse;

/**
 * Hands a running method's failure to `end` as its response: `answer`'s
 * error response, or none when `answer` throws (then this throws that).
 *
 * @example
 * ```ts ignore (internal: runs inside the dispatcher's answer path)
 * promise.then(ok, (error) => respondFailure(end, answer, request.id, error));
 * ```
 */
export function respondFailure<T>(
  end: RunEnd<T>,
  answer: AnswerFailure,
  id: RequestId,
  error: unknown,
): T {
  let response: JsonRpcResponse;
  try {
    response = answer(id, error);
  } catch (thrown) {
    end.responded(undefined);
    throw thrown;
  }
  return end.responded(response);
}

/**
 * A `tools/call` still running, continued from the tool's own promise
 * (`ToolRegistry.run`'s `then`): its result, or the failure of making one,
 * goes to the request's {@linkcode RunEnd} as its response.
 */
export class ToolRunEnd<T> {
  readonly id: RequestId;
  readonly end: RunEnd<T>;
  readonly answer: AnswerFailure;
  /** Set by the registry when the tool runs on and its promise settles here. */
  taken = false;

  /** The continuation of request `id`'s call, for `end`. */
  constructor(id: RequestId, end: RunEnd<T>, answer: AnswerFailure) {
    this.id = id;
    this.end = end;
    this.answer = answer;
  }

  /** The tool's result (a promise when its output check is asynchronous). */
  result(result: CallToolResult | PromiseLike<CallToolResult>): T | PromiseLike<T> {
    if (!isPromiseLike(result)) {
      return this.end.responded(
        resultResponse(this.id, result as unknown as Record<string, unknown>),
      );
    }
    return result.then((value) => this.result(value), (error) => this.failure(error));
  }

  /** Making the result failed: the dispatcher's answer to `error`. */
  failure(error: unknown): T {
    return respondFailure(this.end, this.answer, this.id, error);
  }
}
