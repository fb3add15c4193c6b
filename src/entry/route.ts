/**
 * The request path of one handler: the door's steps in their order
 * (steps.ts, the table), then the era that serves the request, and the one
 * place where a refusal becomes a response. A POST's refusal about its
 * single request carries that request's id; the `rateLimits` budgets' state
 * goes on the answer; a place under the concurrency cap is given back with
 * the answer (or when its stream ends); with the `cors` option every answer,
 * whatever made it, passes {@linkcode Cors.grant} on its way out. It builds
 * no part and holds no state besides what it is given.
 * @module
 */

import type { Cors } from "../http/cors.ts";
import { httpError } from "../http/error_response.ts";
import type { LazyInterval } from "../http/lazy_interval.ts";
import { isRefusal, type Refusal, renderRefusal } from "../http/refusal.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import type { JsonRpcRequest } from "../jsonrpc/messages.ts";
import { isPromiseLike, type MaybePromise } from "../protocol/maybe_async.ts";
import { StorageUnavailableError } from "../storage_unavailable.ts";
import type { Post } from "./read_post.ts";
import { type Door, type PlacedStep, type StepAnswer, stepsOf, Visit, walk } from "./steps.ts";

/** The parts the request path uses: the door's. */
export type RouteParts = Door;

/** The handler's request function over `parts`: never rejects (an error becomes a 500 or a 503). */
export function createRoute(parts: RouteParts): (request: Request) => Promise<Response> {
  const route = new Route(parts);
  const cors: Cors | undefined = parts.cors;
  // Every answer, from the steps to a failure, with the CORS grant when there is CORS.
  return cors === undefined
    ? (request) => route.answer(request)
    : async (request) => cors.grant(request, await route.answer(request));
}

/** One handler's request path: runs the door's table and renders what comes out. */
class Route {
  readonly #parts: RouteParts;
  /** The door's steps that are on in this handler. */
  readonly #steps: readonly PlacedStep[];
  /** The eras' timers (the session sweep): started by the first request, so construction sets none. */
  readonly #timers: readonly LazyInterval[];

  constructor(parts: RouteParts) {
    this.#parts = parts;
    this.#steps = stepsOf(parts);
    this.#timers = [parts.legacy.timer, parts.modern.timer].filter((timer) => timer !== undefined);
  }

  /** Starts the eras' timers (cheap once they run). */
  #startTimers(): void {
    for (const timer of this.#timers) timer.start();
  }

  /**
   * A request's answer; a throw or rejection on the way becomes a 500 (a 503
   * when storage is unreachable). Not an async function: without a request
   * listener the answer's own promise is returned with no layer of its own.
   */
  answer(request: Request): Promise<Response> {
    const events = this.#parts.events;
    events.counters.requests++;
    const visit = new Visit(request, pathOf(request.url));
    if (events.listener !== undefined) return this.#answerObserved(visit);
    this.#startTimers();
    let walked: MaybePromise<StepAnswer>;
    try {
      walked = walk(this.#parts, this.#steps, visit, 0, serve);
    } catch (error) {
      this.#leave(visit);
      return Promise.resolve(this.failed(error));
    }
    if (!isPromiseLike(walked)) return Promise.resolve(this.#finishOrFail(visit, walked));
    // One reaction for the answer and its failure alike: no second promise to catch the first.
    return walked.then((answer) => this.#finishOrFail(visit, answer), (error) => {
      this.#leave(visit);
      return this.failed(error);
    });
  }

  /** {@linkcode #finish}, a throw in it answered as {@linkcode failed} (the place was given back or kept by it). */
  #finishOrFail(visit: Visit, answer: StepAnswer): Response {
    try {
      return this.#finish(visit, answer);
    } catch (error) {
      return this.failed(error);
    }
  }

  /** {@linkcode answer} when a listener wants request events: timed, and described once answered. */
  async #answerObserved(visit: Visit): Promise<Response> {
    const request = visit.request;
    try {
      const started = performance.now();
      const response = await this.#route(visit);
      const era = visit.era;
      // `initialize` names its new session on the response only.
      const sessionId = era === "legacy"
        ? request.headers.get("mcp-session-id") ?? response.headers.get("mcp-session-id")
        : null;
      const post = visit.post;
      this.#parts.events.emit({
        type: "request",
        method: era !== undefined && post !== undefined ? methodOf(post) : request.method,
        ...(era === undefined ? {} : { era }),
        ...(sessionId === null ? {} : { sessionId }),
        ...(era !== undefined && post !== undefined ? targetOf(post) : undefined),
        status: response.status,
        durationMs: performance.now() - started,
      });
      return response;
    } catch (error) {
      return this.failed(error);
    }
  }

  /** What a throw or rejection on a request's way is answered with. */
  failed(error: unknown): Response {
    this.#parts.config.observe.onError(error);
    if (error instanceof StorageUnavailableError) {
      // Fail closed, and say so in a way clients and load balancers retry.
      this.#parts.events.refused("storage", 503);
      return httpError(503, "Service Unavailable: session storage is unreachable", {
        code: ErrorCode.InternalError,
        headers: { "retry-after": String(error.retryAfterSeconds) },
      });
    }
    return httpError(500, "Internal error", { code: ErrorCode.InternalError });
  }

  /**
   * The door's steps, then the era. Not an async function: a request that
   * waits for nothing (no body, no rate limit, no bus to join) is answered
   * without a layer of its own.
   */
  #route(visit: Visit): Response | Promise<Response> {
    this.#startTimers();
    let walked: MaybePromise<StepAnswer>;
    try {
      walked = walk(this.#parts, this.#steps, visit, 0, serve);
    } catch (error) {
      this.#leave(visit);
      throw error;
    }
    if (!isPromiseLike(walked)) return this.#finish(visit, walked);
    return walked.then((answer) => this.#finish(visit, answer), (error) => {
      this.#leave(visit);
      throw error;
    });
  }

  /** The answer rendered: a POST's refusal carries its request's id; a place under the cap is given back. */
  #finish(visit: Visit, answer: StepAnswer): Response {
    const id = visit.post?.id;
    const response = this.render(
      id !== undefined && isRefusal(answer) && answer.id === undefined ? { ...answer, id } : answer,
    );
    // Streamed work keeps its place until it is done.
    return visit.entered ? this.#parts.concurrency!.release(visit.request, response) : response;
  }

  /** Gives back a place under the cap of a request that failed on its way. */
  #leave(visit: Visit): void {
    if (visit.entered) this.#parts.concurrency!.leave(visit.request);
  }

  /** The one place a refusal becomes a response (and is reported); a response passes through. */
  render(answer: Response | Refusal): Response {
    if (!isRefusal(answer)) return answer as Response;
    this.#parts.events.refused(answer.step ?? "other", answer.status, answer.code, answer.message);
    return renderRefusal(answer);
  }
}

/**
 * What serves a request that passed the door: its era, as its caller; what
 * is left of a `rateLimits` budget goes on the answer.
 */
function serve(door: Door, visit: Visit): MaybePromise<StepAnswer> {
  const { request, post, principal } = visit;
  let served: MaybePromise<StepAnswer>;
  if (post !== undefined) {
    const era = visit.era === "modern" ? door.modern : door.legacy;
    served = era.serve({
      request,
      headers: visit.headers,
      messages: post.messages,
      isBatch: post.isBatch,
      principal,
      versionHeader: visit.versionHeader,
    });
  } else {
    served = request.method === "GET"
      ? door.legacy.get(request, principal)
      : door.legacy.delete(request, principal);
  }
  return visit.standing === undefined ? served : visit.standing.stamp(served);
}

/** The tool, prompt or resource a single request names, for its request event. */
function targetOf(
  read: Post,
): { tool: string } | { prompt: string } | { resource: string } | undefined {
  const first = read.messages[0];
  if (read.isBatch || first.kind !== "request") return undefined;
  const { method, params } = first.message as JsonRpcRequest;
  const name = params?.name;
  const uri = params?.uri;
  if (method === "tools/call" && typeof name === "string") return { tool: name };
  if (method === "prompts/get" && typeof name === "string") return { prompt: name };
  if (method.startsWith("resources/") && typeof uri === "string") return { resource: uri };
  return undefined;
}

/** What a request event names: the single request's method, or `batch`, or `response`. */
function methodOf(read: Post): string {
  if (read.isBatch) return "batch";
  const first = read.messages[0];
  return first.kind === "response" ? "response" : (first.message as JsonRpcRequest).method;
}

/** The path of a request URL, without parsing the whole URL. */
function pathOf(url: string): string {
  const scheme = url.indexOf("://");
  const start = url.indexOf("/", scheme === -1 ? 0 : scheme + 3);
  if (start === -1) return "/";
  let end = url.length;
  const query = url.indexOf("?", start);
  if (query !== -1) end = query;
  const hash = url.indexOf("#", start);
  if (hash !== -1 && hash < end) end = hash;
  return url.slice(start, end);
}
