/**
 * Work that outlives its response. A POST answered on a stream, or with a
 * `499` to a client that left, is returned while its handlers still run; a
 * client that drops the stream does not stop them (the sessionful era lets
 * the work finish for a resume; a tool may ignore its signal). The exchanges
 * note that work against the Response here, so the entry can count the
 * request until its work is done (`maxConcurrentRequests`), not until the
 * client hangs up. A WeakMap keyed by the Response: nothing is kept once the
 * Response is gone, and nothing here awaits or aborts the work.
 * @module
 */

/**
 * Work that makes its promise only when someone asks for it: a held stream
 * whose request no one counts keeps no promise, reaction or closure for it
 * (an idle stream's memory, issue 46).
 */
export interface PendingWork {
  /** Settles once the work is done (rejects as its last step does). */
  whenDone(): Promise<unknown>;
}

const running = new WeakMap<Response, Promise<unknown> | PendingWork>();

/** Notes that `work` still runs behind `response`; returns `response`. */
export function workGoesOn(response: Response, work: Promise<unknown> | PendingWork): Response {
  running.set(response, work);
  return response;
}

/** The work still running behind `response` when it was returned, if any. */
export function workBehind(response: Response): Promise<unknown> | undefined {
  const work = running.get(response);
  return work !== undefined && "whenDone" in work ? work.whenDone() : work;
}
