/**
 * The last step of a one-request POST answered on a stream: once its
 * handler returns, the response is queued and the stream ended from the
 * run's own continuation (the dispatcher's `then`), not from a `then` of the
 * answer loop, so a call held open keeps no closure, reaction or promise for
 * it (an idle stream's memory, issue 46). The promise of that work is made
 * only when someone asks (`maxConcurrentRequests` counts the request until
 * it is done). The exchange extends it; it runs nothing and opens no stream.
 * @module
 */

import type { PendingWork } from "../../http/work_after_response.ts";
import type { JsonRpcResponse } from "../../jsonrpc/messages.ts";
import type { LogicalStream } from "../streams/logical_stream.ts";
import { finishWith } from "./stream_writes.ts";

/** `runs` before the answer sets them: shared, never written. */
const NO_RUNS: readonly Promise<JsonRpcResponse | undefined>[] = [];

/** The part of a POST's exchange that ends its one request's stream (request_exchange.ts). */
export class LastStep implements PendingWork {
  /** Requests whose handlers have not returned. */
  remaining = 0;
  /** The runs of the POST's requests, in order: each settles with its response (none when aborted). */
  runs: readonly Promise<JsonRpcResponse | undefined>[] = NO_RUNS;
  /** The stream the one request's response goes to when its handler returns. */
  #finishOn: LogicalStream | undefined = undefined;
  /** That stream's last step (response sent, stream ended), once taken or asked for. */
  #done: Promise<unknown> | undefined = undefined;
  /** Settles `#done` when `whenDone()` asked for it before the last step was taken. */
  #settleDone: ((done: Promise<unknown>) => void) | undefined = undefined;

  /**
   * The work of a one-request POST answered on `live`: the response sent,
   * then the end, taken by {@linkcode LastStep.ranOne} when the run is over.
   * A run that is over already is answered here.
   *
   * @example
   * ```ts ignore (internal: runs inside a POST's exchange)
   * return workGoesOn(response, exchange.finishOn(live));
   * ```
   */
  finishOn(live: LogicalStream): Promise<unknown> | PendingWork {
    if (this.remaining === 0) return this.runs[0].then((response) => finishWith(live, response));
    this.#finishOn = live;
    return this;
  }

  /** Settles once the stream's last step is done (the work behind the POST's response). */
  whenDone(): Promise<unknown> {
    return this.#done ??= new Promise((settle) => (this.#settleDone = settle));
  }

  /**
   * A run is over with `answer` (none when aborted): the last step, if
   * `finishOn` named a stream. `closing`: `close()` took the stream's end
   * over (its shutdown error, then the end); that is the last step then.
   */
  protected ranOne(answer: JsonRpcResponse | undefined, closing?: Promise<void>): void {
    const live = this.#finishOn;
    if (live === undefined) return;
    this.#finishOn = undefined;
    let done: Promise<unknown>;
    try {
      done = closing ?? finishWith(live, answer);
    } catch (error) {
      done = Promise.reject(error); // a response JSON cannot encode: the work fails, as a `then` did
    }
    if (this.#settleDone !== undefined) this.#settleDone(done);
    else this.#done = done;
  }
}
